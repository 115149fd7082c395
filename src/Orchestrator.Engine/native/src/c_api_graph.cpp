// C ABI of graph backbones (arch_onnx_graph.h).
#include "arch_onnx_graph.h"
#include "c_api_support.h"

using namespace ote::capi;

extern "C" {

int32_t ote_graph_register(const char* name, const char* model_dir) {
  return guard([&] {
    require(name, "name");
    require(model_dir, "model_dir");
    ote::register_graph_architecture(name, model_dir);
  });
}

}  // extern "C"
