#pragma once
// Export of a trained net for deployment (docs/onnx.md, "Exporting a trial"): its eval-mode forward as a list of ONNX
// operators for the C# side to write as an ONNX model (torchvision_export.h writes a torchvision state dict).
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

}  // namespace ote
