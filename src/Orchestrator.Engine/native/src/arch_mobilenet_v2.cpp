#include "models.h"

#include <stdexcept>

namespace nn = torch::nn;

namespace ote {
namespace {

// torchvision's Conv2dNormActivation: Sequential(0: Conv2d, 1: BatchNorm2d, 2: ReLU6).
Block conv_bn_relu6(int in, int out, int kernel, int stride, int groups) {
  return Block(
      nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding((kernel - 1) / 2).groups(groups).bias(false)),
      nn::BatchNorm2d(out),
      nn::ReLU6());
}

struct InvertedResidualImpl : nn::Module {
  nn::Sequential conv{nullptr};
  bool use_residual = false;

  InvertedResidualImpl(int in, int out, int stride, int expand_ratio) {
    const int hidden = in * expand_ratio;
    use_residual = stride == 1 && in == out;
    conv = nn::Sequential();
    if (expand_ratio != 1) conv->push_back(conv_bn_relu6(in, hidden, 1, 1, 1));
    conv->push_back(conv_bn_relu6(hidden, hidden, 3, stride, hidden));
    conv->push_back(nn::Conv2d(nn::Conv2dOptions(hidden, out, 1).bias(false)));
    conv->push_back(nn::BatchNorm2d(out));
    register_module("conv", conv);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    return use_residual ? x + conv->forward(x) : conv->forward(x);
  }
};
TORCH_MODULE(InvertedResidual);

// torchvision 0.14 mobilenet_v2(width_mult=1.0) features, with torchvision's names.
struct MobileNetV2 : FeaturesNet {
  explicit MobileNetV2(int num_classes) {
    struct Setting { int t, c, n, s; };
    const Setting settings[] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    features = register_module("features", nn::Sequential());
    int in = 32;
    features->push_back(conv_bn_relu6(3, in, 3, 2, 1));
    for (const auto& st : settings) {
      for (int i = 0; i < st.n; ++i) {
        features->push_back(InvertedResidual(in, st.c, i == 0 ? st.s : 1, st.t));
        in = st.c;
      }
    }
    feature_dim = 1280;
    features->push_back(conv_bn_relu6(in, feature_dim, 1, 1, 1));
    head = register_module("head", nn::Linear(feature_dim, num_classes));
    init_weights(*this);
  }
  int group_count() const override { return 7; }
  // [0-1], [2-3], [4-6], [7-10], [11-13], [14-16], [17-18]
  int group_of_feature(int k) const override {
    static const int last_of_group[] = {1, 3, 6, 10, 13, 16, 18};
    for (int g = 0; g < 7; ++g)
      if (k <= last_of_group[g]) return g;
    throw std::logic_error("mobilenet_v2: feature index out of range");
  }
};

const ArchitectureRegistration mobilenet_v2{
    {"mobilenet_v2", 7, [](int c) { return std::make_shared<MobileNetV2>(c); }, {224, 16}, {{"classifier.1"}, {}}}};

}  // namespace
}  // namespace ote
