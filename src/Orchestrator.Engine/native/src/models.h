#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>

namespace ote {

// Backbone ("features", a Sequential) + head (global average pooling + Linear named "head").
// Parameters of features.<k> belong to backbone group group_of_feature(k), shallow (0) to deep (L-1).
struct Net : torch::nn::Module {
  torch::nn::Sequential features{nullptr};
  torch::nn::Linear head{nullptr};
  int feature_dim = 0;

  virtual ~Net() = default;
  virtual int group_count() const = 0;
  virtual int group_of_feature(int feature_index) const = 0;

  torch::Tensor pooled(const torch::Tensor& x);
  torch::Tensor forward(const torch::Tensor& x) { return head->forward(pooled(x)); }
};

// Throws std::invalid_argument naming the supported architectures.
std::shared_ptr<Net> make_net(const std::string& arch, int num_classes);
int group_count_of(const std::string& arch);

}  // namespace ote
