#pragma once
#include <torch/torch.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ote {

// One step of a backbone's forward pass. `modules` hold the step's tensors (none for a pooling or an activation), so
// that the trainer can tell which steps are entirely frozen.
struct Stage {
  std::vector<std::shared_ptr<torch::nn::Module>> modules;
  std::function<torch::Tensor(const torch::Tensor&)> run;
};

// A backbone + head (global average pooling + Linear registered as "head"). Backbone parameters and buffers keep
// the names of the reference implementation (torchvision 0.14, or timm for Xception) so that state dicts load
// by name; group_of() maps each such name to its layer group, shallow (0) to deep (L-1).
//
// The backbone is a chain of stages (build_stages()). Every stage computes the same function in training and in
// evaluation mode (BatchNorm stays in eval mode, no backbone has dropout or stochastic depth here): that is what lets
// the trainer run a frozen prefix of the chain once per image and keep its output across epochs.
struct Net : torch::nn::Module {
  torch::nn::Linear head{nullptr};
  int feature_dim = 0;

  virtual ~Net() = default;
  virtual int group_count() const = 0;
  // Group of a backbone tensor, from its name as named_parameters()/named_buffers() give it.
  virtual int group_of(const std::string& name) const = 0;
  // The stages, shallow to deep, built on first use.
  const std::vector<Stage>& stages();
  // Stages [begin, end) applied to x.
  torch::Tensor run_stages(torch::Tensor x, size_t begin, size_t end);
  // Backbone output before pooling: N x feature_dim x h x w (after any final activation of the reference).
  torch::Tensor feature_map(const torch::Tensor& x) { return run_stages(x, 0, stages().size()); }
  // What the reference implementation's ImageNet classifier takes: by default the globally pooled map.
  virtual torch::Tensor classifier_input(const torch::Tensor& map) const { return global_pool(map); }
  virtual int64_t classifier_input_dim() const { return feature_dim; }
  // Backbone output globally average-pooled: N x feature_dim.
  torch::Tensor pooled(const torch::Tensor& x) { return global_pool(feature_map(x)); }
  static torch::Tensor global_pool(const torch::Tensor& map) {
    return torch::adaptive_avg_pool2d(map, {1, 1}).flatten(1);
  }
  // The current name of a backbone tensor named as in an older checkpoint of the reference implementation;
  // load_backbone() looks names up through it.
  virtual std::string canonical_name(const std::string& name) const { return name; }

  torch::Tensor forward(const torch::Tensor& x) { return head->forward(pooled(x)); }

 protected:
  virtual std::vector<Stage> build_stages() = 0;

 private:
  std::vector<Stage> stages_;
};

// One stage per child of a Sequential; a child that is itself a Block is split into its own children.
void append_stages(std::vector<Stage>& out, torch::nn::Sequential& seq);

// The common shape: a Sequential registered as "features", pooled; groups by the index k of "features.<k>".
struct FeaturesNet : Net {
  torch::nn::Sequential features{nullptr};

  virtual int group_of_feature(int feature_index) const = 0;
  int group_of(const std::string& name) const override;

 protected:
  std::vector<Stage> build_stages() override {
    std::vector<Stage> out;
    append_stages(out, features);
    return out;
  }
};

constexpr std::array<float, 3> kImageNetMean{0.485f, 0.456f, 0.406f};
constexpr std::array<float, 3> kImageNetStd{0.229f, 0.224f, 0.225f};

// The input an architecture's pretrained weights expect: side length and per-channel normalization.
struct InputSpec {
  int default_size;
  int min_size;
  std::array<float, 3> mean = kImageNetMean;
  std::array<float, 3> std = kImageNetStd;
};

// The reference implementation's ImageNet classifier: Linear layers with a ReLU between consecutive ones, applied to
// Net::classifier_input(). Kept apart from the backbone when weights are imported (our head is new).
struct ReferenceClassifier {
  std::vector<std::string> linears;  // module names in the reference state dict, e.g. {"fc"}
  std::vector<std::string> ignored;  // name prefixes of reference tensors that are dropped, e.g. {"AuxLogits."}
};

// inception_v3's transform_input (arch_inception_v3.cpp): x * scale + shift, scale and shift 1 x 3 x 1 x 1 (float).
struct ChannelAffine {
  torch::Tensor scale, shift;
};
ChannelAffine inception_input_transform();

// Every architecture registers itself (see ArchitectureRegistration) in the file that defines it.
struct Architecture {
  std::string name;
  int groups;
  std::function<std::shared_ptr<Net>(int num_classes)> make;
  InputSpec input;
  ReferenceClassifier classifier;
};

struct ArchitectureRegistration {
  explicit ArchitectureRegistration(Architecture arch);
};

// An architecture added while the process runs (a graph backbone, arch_onnx_graph.h); replaces an earlier one of the
// same name. Throws std::invalid_argument for a built-in name. Register before building nets of that name.
void register_runtime_architecture(Architecture arch);

// Throws std::invalid_argument naming the supported architectures.
const Architecture& architecture(const std::string& name);
std::shared_ptr<Net> make_net(const std::string& arch, int num_classes);
// Seeds libtorch's process-wide generator and builds, under one lock: nets built on several threads at once would
// otherwise interleave their draws.
std::shared_ptr<Net> make_seeded_net(const std::string& arch, int num_classes, uint64_t seed);
// A net wanted for its tensor names and shapes (or to be overwritten): built under the same lock, leaving the
// generator's state as it was.
std::shared_ptr<Net> make_unseeded_net(const std::string& arch, int num_classes);
int group_count_of(const std::string& arch);
std::vector<std::string> architecture_names();

// A Sequential with a concrete forward(), so that it can be nested inside another Sequential.
struct BlockImpl : torch::nn::SequentialImpl {
  using torch::nn::SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return torch::nn::SequentialImpl::forward(std::move(x)); }
};
TORCH_MODULE(Block);

// Shared by architecture files: the initialisation used when no pretrained weights are loaded.
void init_weights(torch::nn::Module& root);

// "prefix<k>." at the start of name -> k; -1 when name does not start with prefix followed by a number.
int index_after(const std::string& name, const std::string& prefix);

}  // namespace ote
