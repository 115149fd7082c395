#pragma once
// Export of a trained net for deployment (docs/onnx.md, "Exporting a trial"): its eval-mode forward as a list of ONNX
// operators for the C# side to write as an ONNX model, and its tensors as a torchvision state dict.
#include <torch/torch.h>

#include <string>

#include "models.h"
#include "raw_tensors.h"

namespace ote {

// The eval-mode forward of `net` (backbone, global pooling, head: N x 3 x S x S normalized input -> N x C logits),
// traced with libtorch's tracer on a zero input of side `input_size` and written as ONNX operators (opset 13), in the
// line format of native/README.md ("Export"): `text`; the initializers it names: `tensors`, on the CPU.
struct ExportedGraph {
  std::string text;
  NamedTensors tensors;
};
ExportedGraph export_graph(Net& net, int input_size);

// Why torchvision (0.14) has no model that `torchvision.models.<arch>(num_classes=C)` builds with exactly this net's
// tensors and forward; "" when it has one.
std::string torchvision_refusal(const std::string& arch);

// Every tensor of `net` under torchvision's name (the head under the torchvision classifier's): the bytes torch.save
// of a dict writes (torch.load reads them). std::invalid_argument for an architecture torchvision_refusal refuses.
std::string torchvision_state_dict(const std::string& arch, Net& net);

}  // namespace ote
