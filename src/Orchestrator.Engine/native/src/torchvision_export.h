#pragma once
// Export of a trained net for deployment as a torchvision model (docs/onnx.md, "Exporting a trial"): the state dict
// that `torchvision.models.<arch>(num_classes=C)` loads to compute the net's eval-mode forward (for xception, which
// torchvision lacks, timm's `legacy_xception(num_classes=C)`).
#include <torch/torch.h>

#include <cstddef>
#include <functional>
#include <string>

#include "models.h"

namespace ote {

// Why torchvision (0.14) has no model that `torchvision.models.<arch>(num_classes=C)` builds to compute exactly this
// architecture's eval forward on inputs of side `input_size`; "" when it has one.
std::string torchvision_refusal(const std::string& arch, int input_size);

// Takes the next `size` bytes of the file being written; false stops the export (a std::runtime_error).
using ByteSink = std::function<bool(const char* data, size_t size)>;

// The bytes torch.save of the torchvision model's state dict writes (torch.load reads them), handed to `sink` as
// they are written: every tensor of `net` under torchvision's name (the head under the torchvision classifier's),
// with the layers torchvision has and the net lacks set so that the eval forward is the net's (torchvision_export.cpp).
// std::invalid_argument where torchvision_refusal refuses.
void write_torchvision_state_dict(const std::string& arch, Net& net, int input_size, const ByteSink& sink);

}  // namespace ote
