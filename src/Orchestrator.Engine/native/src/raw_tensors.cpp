#include "raw_tensors.h"

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace ote {
namespace {

uint32_t read_u32(std::istream& in, const std::string& path) {
  uint32_t v = 0;
  if (!in.read(reinterpret_cast<char*>(&v), sizeof v)) throw std::runtime_error("'" + path + "' is truncated");
  return v;
}

}  // namespace

NamedTensors read_raw_tensors(std::istream& in, const std::string& path) {
  const uint32_t count = read_u32(in, path);
  NamedTensors out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string name(read_u32(in, path), '\0');
    if (!in.read(name.data(), static_cast<std::streamsize>(name.size())))
      throw std::runtime_error("'" + path + "' is truncated");
    const uint32_t dtype = read_u32(in, path);
    const uint32_t ndim = read_u32(in, path);
    std::vector<int64_t> dims(ndim);
    if (!in.read(reinterpret_cast<char*>(dims.data()), static_cast<std::streamsize>(ndim * sizeof(int64_t))))
      throw std::runtime_error("'" + path + "' is truncated");
    if (dtype > 1) throw std::runtime_error("'" + path + "': tensor '" + name + "' has unknown dtype");
    auto t = torch::empty(dims, dtype == 0 ? torch::kFloat32 : torch::kInt64);
    if (!in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes())))
      throw std::runtime_error("'" + path + "' is truncated in tensor '" + name + "'");
    out.emplace_back(std::move(name), std::move(t));
  }
  return out;
}

bool is_raw_tensor_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8];
  return in && in.read(magic, 8) && std::memcmp(magic, "OTERAW01", 8) == 0;
}

NamedTensors read_raw_tensor_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot open '" + path + "'");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "OTERAW01", 8) != 0)
    throw std::invalid_argument("'" + path + "' is not a raw tensor file");
  return read_raw_tensors(in, path);
}

std::string raw_tensor_bytes(const NamedTensors& tensors) {
  std::string out("OTERAW01");
  auto put = [&out](const void* data, size_t size) { out.append(static_cast<const char*>(data), size); };
  auto put_u32 = [&put](size_t v) {
    const auto u = static_cast<uint32_t>(v);
    put(&u, sizeof u);
  };
  put_u32(tensors.size());
  for (const auto& [name, tensor] : tensors) {
    const auto t = tensor.detach().to(torch::kCPU).contiguous();
    if (t.scalar_type() != torch::kFloat32 && t.scalar_type() != torch::kInt64)
      throw std::invalid_argument("tensor '" + name + "' is " + c10::toString(t.scalar_type()) +
                                  "; a raw tensor file holds float32 and int64");
    put_u32(name.size());
    put(name.data(), name.size());
    put_u32(t.scalar_type() == torch::kFloat32 ? 0 : 1);
    put_u32(static_cast<size_t>(t.dim()));
    for (const auto d : t.sizes()) put(&d, sizeof d);
    put(t.data_ptr(), t.nbytes());
  }
  return out;
}

}  // namespace ote
