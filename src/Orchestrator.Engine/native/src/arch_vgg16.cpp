#include "models.h"

#include <stdexcept>

namespace nn = torch::nn;

namespace ote {
namespace {

// torchvision 0.14 vgg16 (no BatchNorm) features, indices as torchvision's: 13 Conv3x3(+bias) -> ReLU, a
// MaxPool2 after conv blocks of 2, 2, 3, 3, 3. The head pools the last map globally, in place of torchvision's
// avgpool(7x7) + classifier (which `model forward` still applies to imported ImageNet weights). One group per convolution (L = 13), so that unfreezing steps of a few groups stay
// fine-grained.
struct Vgg16 : FeaturesNet {
  std::vector<int> conv_indices;  // features.<k> of each convolution, shallow to deep

  explicit Vgg16(int num_classes) {
    const int blocks[][2] = {{64, 2}, {128, 2}, {256, 3}, {512, 3}, {512, 3}};
    features = register_module("features", nn::Sequential());
    int in = 3;
    for (const auto& block : blocks) {
      for (int i = 0; i < block[1]; ++i) {
        conv_indices.push_back(static_cast<int>(features->size()));
        features->push_back(nn::Conv2d(nn::Conv2dOptions(in, block[0], 3).padding(1)));
        features->push_back(nn::ReLU(nn::ReLUOptions(true)));
        in = block[0];
      }
      features->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    }
    feature_dim = in;
    head = register_module("head", nn::Linear(feature_dim, num_classes));
    init_weights(*this);
  }

  int group_count() const override { return 13; }

  torch::Tensor classifier_input(const torch::Tensor& map) const override {
    return torch::adaptive_avg_pool2d(map, {7, 7}).flatten(1);
  }
  int64_t classifier_input_dim() const override { return int64_t{feature_dim} * 7 * 7; }

  int group_of_feature(int k) const override {
    for (size_t g = 0; g < conv_indices.size(); ++g)
      if (conv_indices[g] == k) return static_cast<int>(g);
    throw std::logic_error("vgg16: features." + std::to_string(k) + " holds no tensors");
  }
};

const ArchitectureRegistration vgg16{{"vgg16", 13, [](int c) { return std::make_shared<Vgg16>(c); }, {224, 32},
                                      {{"classifier.0", "classifier.3", "classifier.6"}, {}}}};

}  // namespace
}  // namespace ote
