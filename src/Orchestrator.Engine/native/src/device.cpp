#include "device.h"

#include <torch/version.h>

#include <stdexcept>

#ifdef OTE_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace ote {

torch::Device parse_device(const std::string& text) {
  c10::optional<torch::Device> device;
  try {
    device.emplace(text);
  } catch (const c10::Error&) {
    throw std::invalid_argument("device '" + text + "' is not cpu, cuda or cuda:N");
  }
  if (device->is_cpu()) {
    if (device->has_index() && device->index() != 0) throw std::invalid_argument("device '" + text + "': the CPU is cpu");
    return torch::kCPU;
  }
  if (!device->is_cuda()) throw std::invalid_argument("device '" + text + "' is not cpu, cuda or cuda:N");
  const auto facts = engine_facts();
  if (!facts.cuda_built)
    throw std::invalid_argument("device '" + text + "': this engine was built against libtorch " + facts.libtorch_version +
                                " without CUDA (build it against a CUDA libtorch, see the README)");
  if (!facts.cuda_available)
    throw std::invalid_argument("device '" + text + "': libtorch has CUDA but sees no GPU (driver missing or no device visible)");
  const int index = device->has_index() ? device->index() : 0;
  if (index >= facts.device_count)
    throw std::invalid_argument("device '" + text + "' does not exist: " + std::to_string(facts.device_count) +
                                " CUDA device(s), cuda:0 to cuda:" + std::to_string(facts.device_count - 1));
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

EngineFacts engine_facts() {
  EngineFacts f;
  f.libtorch_version = TORCH_VERSION;
#ifdef OTE_WITH_CUDA
  f.cuda_built = true;
#endif
  f.cuda_available = torch::cuda::is_available();
  f.device_count = f.cuda_available ? static_cast<int>(torch::cuda::device_count()) : 0;
#ifdef OTE_WITH_CUDA
  for (int i = 0; i < f.device_count; ++i) f.device_names.emplace_back(at::cuda::getDeviceProperties(i)->name);
#endif
  return f;
}

}  // namespace ote
