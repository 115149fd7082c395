#pragma once
// The engine's raw tensor file (format in native/README.md, "Files"): "OTERAW01", u32 count, then per tensor a name,
// a dtype, dims and little-endian data.
#include <torch/torch.h>

#include <istream>
#include <string>
#include <utility>
#include <vector>

namespace ote {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// The tensors after the 8-byte magic, which the caller has read and checked; throws std::runtime_error naming `path`
// when the file is truncated or holds an unknown dtype.
NamedTensors read_raw_tensors(std::istream& in, const std::string& path);
// Whether the file starts with the raw tensor magic.
bool is_raw_tensor_file(const std::string& path);
// The whole file, magic included; std::invalid_argument when it is not a raw tensor file.
NamedTensors read_raw_tensor_file(const std::string& path);
// The file's bytes, magic included, for float32 and int64 CPU tensors (others: std::invalid_argument).
std::string raw_tensor_bytes(const NamedTensors& tensors);

}  // namespace ote
