// C ABI of the export for deployment (export.h).
#include <torch/torch.h>

#include <cstdio>

#include "c_api_support.h"
#include "export.h"

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

int32_t ote_torchvision_refusal(const char* arch, char* out, int32_t capacity) {
  return guard([&] {
    require(arch, "arch");
    require(out, "out");
    if (capacity <= 0) throw std::invalid_argument("capacity must be positive");
    ote::architecture(arch);  // an unknown name is refused as such
    std::snprintf(out, static_cast<size_t>(capacity), "%s", ote::torchvision_refusal(arch).c_str());
  });
}

int32_t ote_trainer_export_state_dict(ote_trainer* trainer, ote_bytes** out_bytes) {
  return guard([&] {
    require(out_bytes, "out_bytes");
    *out_bytes = nullptr;
    auto& t = *deref(trainer, "trainer").impl;
    *out_bytes = new ote_bytes{ote::torchvision_state_dict(t.arch(), t.net())};
  });
}

}  // extern "C"
