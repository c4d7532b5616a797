#!/usr/bin/env python3
"""Write calibration_images.npy: INT8 calibration digits for Kiln's accuracy checks.

Usage: /usr/bin/python3 models/digits/make_calibration_set.py   (writes next to this file)

50 digits per class (500), drawn with a fixed seed from the TRAINING split of train.py, so
calibration never sees the held-out digits that accuracy is measured on. uint8 [500, 20, 20]
raw pixels, like heldout_images.npy.
"""
import os

import numpy as np

from train import HERE, SEED, load_digits, stratified_split

PER_CLASS = 50


def main():
    images, labels = load_digits()
    train, held = stratified_split(labels)
    rng = np.random.RandomState(SEED + 1)
    chosen = []
    for c in range(10):
        chosen.extend(rng.choice(train[labels[train] == c], PER_CLASS, replace=False))
    chosen = np.sort(np.array(chosen))
    assert not set(chosen) & set(held), "calibration digits must not be held out"
    path = os.path.join(HERE, "calibration_images.npy")
    np.save(path, images[chosen].astype(np.uint8))
    print(f"wrote {path}: {len(chosen)} training digits")


if __name__ == "__main__":
    main()
