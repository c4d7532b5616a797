// Calibration samples from a folder (CalibrationConfig::data_dir), as batches for the graph's
// inputs. Files are read in sorted name order, lazily (a folder of images may be large):
//   images      one sample each (image_loader.h), for float32 inputs;
//   .npy / .pb  a tensor shaped like the input (a batch: dim 0 counts samples) or like one
//               sample of it (the input's dims without the first).
// With one input the files sit in the folder itself (or in a subfolder named after the input);
// with several, each input has a subfolder named after it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "kiln/kiln.h"

namespace kiln {

// A graph input as calibration data must fill it. Dynamic dims are -1.
struct CalibrationInput {
  std::string name;
  DataType dtype = DataType::kUndefined;
  std::vector<int64_t> dims;
};

class CalibrationData {
 public:
  ~CalibrationData();
  // Lists the files and checks the settings; reads no data yet.
  static Expected<std::unique_ptr<CalibrationData>> open(const CalibrationConfig& config,
                                                         const std::vector<CalibrationInput>& inputs);
  // The number of batches next() will give, when the files tell (all images), else 0.
  int64_t known_batches() const { return known_batches_; }
  // The next batch, one tensor per input in order, each with batch_size() samples along dim 0
  // (fewer in the last batch when the batch dim is dynamic; a short last batch of a static batch
  // dim is dropped). Empty after the last batch (or after config.max_batches).
  Expected<std::vector<Tensor>> next();
  int64_t batch_size() const { return batch_size_; }

 private:
  class Reader;
  CalibrationData() = default;
  std::vector<std::unique_ptr<Reader>> readers_;
  int64_t batch_size_ = 0;
  bool static_batch_ = false;
  int64_t known_batches_ = 0;
  int64_t batches_done_ = 0;
  int max_batches_ = 0;
};

}  // namespace kiln
