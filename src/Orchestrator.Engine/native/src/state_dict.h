#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "models.h"

namespace ote {

// One architecture's backbone tensors (named as the engine names them) and, when the source had it, the reference
// implementation's ImageNet classifier (named as the reference names it: "fc.weight", "classifier.6.bias", ...).
struct BackboneWeights {
  std::string arch;
  std::map<std::string, torch::Tensor> backbone;
  std::map<std::string, torch::Tensor> classifier;
  int ignored = 0;               // reference tensors dropped on purpose, e.g. inception_v3's auxiliary classifier
  bool from_state_dict = false;  // read from a PyTorch state dict, not from a file save_weights wrote
  int64_t classes() const;       // outputs of the classifier; 0 without one
};

// Reads `path`: a weights file written by save_weights (refused unless it holds `arch`), or a flat PyTorch state
// dict saved with torch.save. Every tensor is checked by name and shape against `layout`, a net of `arch`; missing
// and unexpected names are listed in the std::invalid_argument thrown on a mismatch.
BackboneWeights read_weights(const std::string& arch, Net& layout, const std::string& path);

// A torch.load-able dict: format tag, version, arch, backbone, classifier. Written atomically.
void save_weights(const BackboneWeights& weights, const std::string& path);

// Copies the backbone tensors into `net`, a net of the same architecture.
void load_backbone_into(const BackboneWeights& weights, Net& net);

struct ReferenceOutput {
  torch::Tensor features;  // N x feature_dim, globally pooled
  torch::Tensor logits;    // N x classes; undefined without a classifier
};
// Eval mode, no gradients; `net` holds `weights`' backbone.
ReferenceOutput forward_reference(const BackboneWeights& weights, Net& net, const torch::Tensor& input);

// Reads {"input": N x 3 x H x W float tensor} (as torch.save writes it), checks it against the architecture, and
// writes {"features": ..., "logits": ...} (logits only with a classifier) atomically in a file torch.load reads.
// Returns N.
int64_t forward_file(const BackboneWeights& weights, Net& net, const std::string& input_path,
                     const std::string& output_path);

// Writes path.tmp and renames it over path (checkpoint.cpp); how durable on return is the caller's choice.
enum class Durability {
  Synced,       // fsync the file before the rename and the directory after it: durable on return
  CallerSyncs,  // rename only: the caller fsyncs file and directory before it relies on them (trial checkpoints,
                // which the trial runner flushes while the next epoch trains, before its journal names them)
};
void write_atomically(const std::string& path, std::string_view bytes, Durability durability = Durability::Synced);

}  // namespace ote
