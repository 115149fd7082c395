#include "models.h"

#include <stdexcept>

namespace nn = torch::nn;

namespace ote {

torch::Tensor Net::pooled(const torch::Tensor& x) {
  auto y = features->forward(x);
  return torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
}

namespace {

// A Sequential with a concrete forward(), so that it can be nested inside another Sequential.
struct BlockImpl : nn::SequentialImpl {
  using nn::SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return nn::SequentialImpl::forward(std::move(x)); }
};
TORCH_MODULE(Block);

void init_weights(nn::Module& root) {
  torch::NoGradGuard no_grad;
  for (auto& m : root.modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut);
      if (conv->bias.defined()) nn::init::zeros_(conv->bias);
    } else if (auto* bn = m->as<nn::BatchNorm2d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    } else if (auto* lin = m->as<nn::Linear>()) {
      nn::init::normal_(lin->weight, 0.0, 0.01);
      nn::init::zeros_(lin->bias);
    }
  }
}

// The small baseline: 4 blocks of Conv3x3 -> BN -> ReLU -> MaxPool2, one group per block.
struct LightweightCnn : Net {
  explicit LightweightCnn(int num_classes) {
    const int channels[] = {32, 64, 128, 256};
    features = register_module("features", nn::Sequential());
    int in = 3;
    for (int out : channels) {
      features->push_back(Block(
          nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)),
          nn::BatchNorm2d(out),
          nn::ReLU(),
          nn::MaxPool2d(nn::MaxPool2dOptions(2))));
      in = out;
    }
    feature_dim = in;
    head = register_module("head", nn::Linear(in, num_classes));
    init_weights(*this);
  }
  int group_count() const override { return 4; }
  int group_of_feature(int k) const override { return k; }
};

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
struct MobileNetV2 : Net {
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

}  // namespace

int group_count_of(const std::string& arch) {
  if (arch == "lightweight-cnn") return 4;
  if (arch == "mobilenet_v2") return 7;
  throw std::invalid_argument("unknown architecture '" + arch + "' (supported: lightweight-cnn, mobilenet_v2)");
}

std::shared_ptr<Net> make_net(const std::string& arch, int num_classes) {
  if (num_classes < 2) throw std::invalid_argument("num_classes must be at least 2");
  group_count_of(arch);
  if (arch == "lightweight-cnn") return std::make_shared<LightweightCnn>(num_classes);
  return std::make_shared<MobileNetV2>(num_classes);
}

}  // namespace ote
