#include "quantization/calibration_data.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/npy.h"
#include "onnx/onnx_importer.h"
#include "quantization/image_loader.h"

namespace kiln {

namespace fs = std::filesystem;

namespace {

bool has_extension(const std::string& path, const char* ext) {
  return fs::path(path).extension() == ext;
}

// The folder holding an input's files: DIR/<name> (or the name with unusual characters made
// '_'), or, for a single input, DIR itself.
Expected<fs::path> input_folder(const fs::path& dir, const std::string& name, bool single) {
  std::string safe = name;
  for (char& c : safe)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  for (const std::string& n : {name, safe}) {
    std::error_code ec;
    if (!n.empty() && n != "." && n != ".." && fs::is_directory(dir / n, ec)) return dir / n;
  }
  if (single) return dir;
  return not_found("calibration data: '{}' has no subfolder '{}' for input '{}' (the model has several inputs)",
                   dir.string(), safe, name);
}

Expected<std::vector<std::string>> list_files(const fs::path& folder) {
  std::error_code ec;
  fs::directory_iterator it(folder, ec);
  if (ec) return io_error("cannot read calibration folder '{}': {}", folder.string(), ec.message());
  std::vector<std::string> files;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !entry.is_regular_file(ec)) continue;
    const std::string path = entry.path().string();
    if (!is_image_file(path) && !has_extension(path, ".npy") && !has_extension(path, ".pb"))
      return invalid_argument("calibration file '{}' is neither an image nor a .npy or .pb tensor", path);
    files.push_back(path);
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) return not_found("no calibration files in '{}'", folder.string());
  return files;
}

// Joins tensors along dim 0 (their other dims agree: Reader checks).
Tensor concat_samples(const std::vector<Tensor>& parts) {
  if (parts.size() == 1) return parts[0];
  std::vector<int64_t> dims = parts[0].dims();
  dims[0] = 0;
  for (const Tensor& t : parts) dims[0] += t.dim(0);
  Tensor out(parts[0].dtype(), dims);
  auto* dst = static_cast<uint8_t*>(out.raw());
  for (const Tensor& t : parts) {
    std::memcpy(dst, t.raw(), t.nbytes());
    dst += t.nbytes();
  }
  return out;
}

}  // namespace

// One input's files, read one at a time, handing out samples in order.
class CalibrationData::Reader {
 public:
  Reader(CalibrationInput input, std::vector<std::string> files, ImageGeometry geometry, const CalibrationConfig& config)
      : input_(std::move(input)), files_(std::move(files)), geometry_(geometry), config_(config) {}

  const CalibrationInput& input() const { return input_; }
  const std::vector<std::string>& files() const { return files_; }

  // Up to n samples; fewer at the end of the files, none after it.
  Expected<Tensor> take(int64_t n) {
    std::vector<Tensor> parts;
    int64_t have = 0;
    while (have < n) {
      if (offset_ == (current_.defined() ? current_.dim(0) : 0)) {
        if (next_file_ == files_.size()) break;
        KILN_ASSIGN_OR_RETURN(current_, read(files_[next_file_++]));
        offset_ = 0;
        continue;
      }
      const int64_t k = std::min(n - have, current_.dim(0) - offset_);
      parts.push_back(slice(current_, offset_, k));
      if (!parts.back().dims().empty() && parts.size() > 1 &&
          !std::equal(parts[0].dims().begin() + 1, parts[0].dims().end(), parts.back().dims().begin() + 1,
                      parts.back().dims().end()))
        return invalid_argument("calibration input '{}': '{}' holds samples of shape {}, earlier files {} (one "
                                "batch needs one shape)",
                                input_.name, files_[next_file_ - 1], dims_to_string(parts.back().dims()),
                                dims_to_string(parts[0].dims()));
      offset_ += k;
      have += k;
    }
    if (parts.empty()) return Tensor();
    return concat_samples(parts);
  }

 private:
  // A file as a batch of samples, checked against the input.
  Expected<Tensor> read(const std::string& path) {
    Tensor t;
    if (is_image_file(path)) {
      if (input_.dtype != DataType::kFloat32)
        return unsupported("calibration input '{}' is {}: images make float32 inputs (give .npy or .pb files)",
                           input_.name, data_type_name(input_.dtype));
      KILN_ASSIGN_OR_RETURN(t, load_image_sample(path, geometry_, config_));
    } else {
      auto read = has_extension(path, ".npy") ? read_npy(path) : read_tensor_proto_file(path);
      if (!read.ok()) return with_context(read.status(), "calibration file '" + path + "'");
      t = std::move(*read);
      if (t.dtype() != input_.dtype)
        return invalid_argument("calibration file '{}' is {} but input '{}' is {}", path, data_type_name(t.dtype()),
                                input_.name, data_type_name(input_.dtype));
      if (t.rank() + 1 == static_cast<int>(input_.dims.size())) {
        std::vector<int64_t> dims = t.dims();
        dims.insert(dims.begin(), 1);
        t = t.reshaped(dims);
      }
    }
    bool fits = t.rank() == static_cast<int>(input_.dims.size());
    for (size_t d = 1; fits && d < input_.dims.size(); ++d)
      fits = input_.dims[d] < 0 || input_.dims[d] == t.dims()[d];
    if (!fits)
      return invalid_argument("calibration file '{}' has shape {}, which is neither a batch nor one sample of "
                              "input '{}' {}",
                              path, dims_to_string(t.dims()), input_.name, dims_to_string(input_.dims));
    return t;
  }

  // Samples [begin, begin + n) of a batch (a copy: the file's tensor is dropped once read).
  static Tensor slice(const Tensor& t, int64_t begin, int64_t n) {
    if (begin == 0 && n == t.dim(0)) return t;
    std::vector<int64_t> dims = t.dims();
    dims[0] = n;
    Tensor out(t.dtype(), dims);
    const size_t sample_bytes = t.nbytes() / static_cast<size_t>(t.dim(0));
    std::memcpy(out.raw(), static_cast<const uint8_t*>(t.raw()) + static_cast<size_t>(begin) * sample_bytes,
                out.nbytes());
    return out;
  }

  CalibrationInput input_;
  std::vector<std::string> files_;
  ImageGeometry geometry_;
  const CalibrationConfig& config_;
  size_t next_file_ = 0;
  Tensor current_;
  int64_t offset_ = 0;
};

CalibrationData::~CalibrationData() = default;

namespace {

// The sample an image must become for `input`, or an error saying why images cannot fill it
// (checked only when images are found).
Expected<ImageGeometry> image_geometry(const CalibrationInput& input, const CalibrationConfig& config) {
  if (input.dims.size() != 4)
    return unsupported("images fill rank-4 inputs ([N, C, H, W] or [N, H, W, C]); input '{}' is {}", input.name,
                       dims_to_string(input.dims));
  const bool nchw = config.layout == ImageLayout::kNCHW;
  ImageGeometry g;
  g.channels = input.dims[nchw ? 1 : 3];
  if (g.channels < 0) return unsupported("input '{}' {}: the channel dimension must be static for images", input.name,
                                         dims_to_string(input.dims));
  KILN_RETURN_IF_ERROR(check_image_preprocessing(config, g.channels));
  const int64_t h = input.dims[nchw ? 2 : 1], w = input.dims[nchw ? 3 : 2];
  if (!config.resize.empty()) {
    if (config.resize.size() != 2 || config.resize[0] <= 0 || config.resize[1] <= 0)
      return invalid_argument("the calibration resize must be H,W (two positive sizes)");
    if ((h >= 0 && h != config.resize[0]) || (w >= 0 && w != config.resize[1]))
      return invalid_argument("input '{}' {} cannot take images resized to {}x{}", input.name, dims_to_string(input.dims),
                              config.resize[0], config.resize[1]);
    g.height = config.resize[0];
    g.width = config.resize[1];
  } else {
    if (h < 0 || w < 0)
      return invalid_argument("input '{}' {} has a dynamic height or width: give the image size (--calib-resize H,W, or --opt-shapes)",
                              input.name, dims_to_string(input.dims));
    g.height = h;
    g.width = w;
  }
  return g;
}

}  // namespace

Expected<std::unique_ptr<CalibrationData>> CalibrationData::open(const CalibrationConfig& config,
                                                                 const std::vector<CalibrationInput>& inputs) {
  if (config.data_dir.empty()) return invalid_argument("INT8 calibration needs a data folder or an existing cache");
  if (!fs::is_directory(config.data_dir)) return not_found("calibration folder '{}' does not exist", config.data_dir);
  if (inputs.empty()) return invalid_argument("the graph has no inputs to calibrate with");
  if (config.max_batches < 0) return invalid_argument("the calibration batch limit must not be negative");
  std::unique_ptr<CalibrationData> data(new CalibrationData());
  data->max_batches_ = config.max_batches;
  int64_t images = -1;
  bool all_images = true;
  for (const CalibrationInput& input : inputs) {
    if (input.dims.empty())
      return unsupported("calibration input '{}' is a scalar: samples are taken along dim 0", input.name);
    if (input.dims[0] > 0) {
      if (data->static_batch_ && data->batch_size_ != input.dims[0])
        return unsupported("inputs with different static batch sizes ({} and {}) cannot be calibrated",
                           data->batch_size_, input.dims[0]);
      data->static_batch_ = true;
      data->batch_size_ = input.dims[0];
    }
    KILN_ASSIGN_OR_RETURN(fs::path folder, input_folder(config.data_dir, input.name, inputs.size() == 1));
    KILN_ASSIGN_OR_RETURN(std::vector<std::string> files, list_files(folder));
    ImageGeometry geometry;
    const auto count = std::count_if(files.begin(), files.end(), [](const std::string& f) { return is_image_file(f); });
    if (count > 0) {
      KILN_ASSIGN_OR_RETURN(geometry, image_geometry(input, config));
    }
    if (count != static_cast<int64_t>(files.size())) all_images = false;
    if (all_images && images >= 0 && images != count)
      return invalid_argument("calibration data: input '{}' has {} images, another input {}", input.name, count, images);
    images = count;
    data->readers_.push_back(std::make_unique<Reader>(input, std::move(files), geometry, config));
  }
  if (!data->static_batch_) {
    if (config.batch_size <= 0) return invalid_argument("the calibration batch size must be positive");
    data->batch_size_ = config.batch_size;
  }
  if (all_images) {
    const int64_t b = data->batch_size_;
    data->known_batches_ = data->static_batch_ ? images / b : (images + b - 1) / b;
    if (config.max_batches > 0) data->known_batches_ = std::min<int64_t>(data->known_batches_, config.max_batches);
  }
  return data;
}

Expected<std::vector<Tensor>> CalibrationData::next() {
  if (max_batches_ > 0 && batches_done_ == max_batches_) return std::vector<Tensor>{};
  std::vector<Tensor> batch;
  for (auto& reader : readers_) {
    KILN_ASSIGN_OR_RETURN(Tensor t, reader->take(batch_size_));
    batch.push_back(std::move(t));
  }
  auto samples = [&](size_t i) { return batch[i].defined() ? batch[i].dim(0) : int64_t{0}; };
  for (size_t i = 1; i < batch.size(); ++i)
    if (samples(i) != samples(0))
      return invalid_argument("calibration data: input '{}' ran out of samples before '{}' (their files hold "
                              "different numbers of samples)",
                              readers_[samples(i) < samples(0) ? i : 0]->input().name,
                              readers_[samples(i) < samples(0) ? 0 : i]->input().name);
  if (samples(0) == 0 || (static_batch_ && samples(0) < batch_size_)) return std::vector<Tensor>{};
  ++batches_done_;
  return batch;
}

}  // namespace kiln
