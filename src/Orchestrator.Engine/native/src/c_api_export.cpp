// C ABI of the export for deployment (export.h, torchvision_export.h).
#include <torch/torch.h>

#include <cstdio>

#include "c_api_support.h"
#include "export.h"
#include "torchvision_export.h"

using namespace ote::capi;

extern "C" {

int32_t ote_trainer_export_graph(ote_trainer* trainer, ote_bytes** out_graph, ote_bytes** out_tensors) {
  return guard([&] {
    require(out_graph, "out_graph");
    require(out_tensors, "out_tensors");
    *out_graph = nullptr;
    *out_tensors = nullptr;
    auto& t = *deref(trainer, "trainer").impl;
    auto exported = ote::export_graph(t.net(), t.input_size());
    auto graph = std::make_unique<ote_bytes>(ote_bytes{std::move(exported.text)});
    auto tensors = std::make_unique<ote_bytes>(ote_bytes{ote::raw_tensor_bytes(exported.tensors)});
    *out_graph = graph.release();
    *out_tensors = tensors.release();
  });
}

int32_t ote_torchvision_refusal(const char* arch, int32_t input_size, char* out, int32_t capacity) {
  return guard([&] {
    require(arch, "arch");
    require(out, "out");
    if (capacity <= 0) throw std::invalid_argument("capacity must be positive");
    ote::architecture(arch);  // an unknown name is refused as such
    std::snprintf(out, static_cast<size_t>(capacity), "%s", ote::torchvision_refusal(arch, input_size).c_str());
  });
}

int32_t ote_trainer_export_state_dict(ote_trainer* trainer, ote_write_fn write, void* user) {
  return guard([&] {
    if (write == nullptr) throw std::invalid_argument("write is null");
    auto& t = *deref(trainer, "trainer").impl;
    ote::write_torchvision_state_dict(t.arch(), t.net(), t.input_size(), [&](const char* data, size_t size) {
      return write(data, static_cast<int64_t>(size), user) == 0;
    });
  });
}

}  // extern "C"
