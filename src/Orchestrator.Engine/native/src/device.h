#pragma once
// The devices a trainer can run on, and what this build of libtorch offers.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace ote {

// "cpu", "cuda" (device 0) or "cuda:N"; std::invalid_argument, with the reason, for anything else, for CUDA from a
// libtorch without it, and for a CUDA device that is not there.
torch::Device parse_device(const std::string& text);

struct EngineFacts {
  std::string libtorch_version;
  bool cuda_built = false;     // compiled against a libtorch with CUDA
  bool cuda_available = false; // and a driver and a GPU are visible
  int device_count = 0;
  std::vector<std::string> device_names;
};
EngineFacts engine_facts();

}  // namespace ote
