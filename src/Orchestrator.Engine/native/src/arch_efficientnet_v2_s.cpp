#include "models.h"

#include <algorithm>
#include <stdexcept>

namespace nn = torch::nn;

namespace ote {
namespace {

// torchvision's Conv2dNormActivation with BatchNorm eps 1e-3: Sequential(0: Conv2d, 1: BatchNorm2d[, 2: SiLU]).
Block conv_bn(int in, int out, int kernel, int stride, int groups, bool silu) {
  Block b(nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding((kernel - 1) / 2).groups(groups).bias(false)),
          nn::BatchNorm2d(nn::BatchNormOptions(out).eps(1e-3)));
  if (silu) b->push_back(nn::SiLU());
  return b;
}

// x * sigmoid(fc2(silu(fc1(mean over space of x)))), fc1/fc2 1x1 convolutions with bias.
struct SqueezeExcitationImpl : nn::Module {
  nn::Conv2d fc1{nullptr}, fc2{nullptr};

  SqueezeExcitationImpl(int channels, int squeezed) {
    fc1 = register_module("fc1", nn::Conv2d(nn::Conv2dOptions(channels, squeezed, 1)));
    fc2 = register_module("fc2", nn::Conv2d(nn::Conv2dOptions(squeezed, channels, 1)));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto s = torch::adaptive_avg_pool2d(x, {1, 1});
    s = torch::sigmoid(fc2->forward(torch::silu(fc1->forward(s))));
    return x * s;
  }
};
TORCH_MODULE(SqueezeExcitation);

// FusedMBConv (fused = true) or MBConv, the layers in "block" as torchvision numbers them. torchvision's
// stochastic depth on the residual branch is not applied: it is the identity in eval mode, and training here
// runs without it.
struct MbConvImpl : nn::Module {
  nn::Sequential block{nullptr};
  bool use_residual = false;

  MbConvImpl(bool fused, int in, int out, int stride, int expand_ratio) {
    const int expanded = in * expand_ratio;  // already a multiple of 8 for every efficientnet_v2_s stage
    use_residual = stride == 1 && in == out;
    block = nn::Sequential();
    if (fused) {
      if (expanded != in) {
        block->push_back(conv_bn(in, expanded, 3, stride, 1, true));
        block->push_back(conv_bn(expanded, out, 1, 1, 1, false));
      } else {
        block->push_back(conv_bn(in, out, 3, stride, 1, true));
      }
    } else {
      if (expanded != in) block->push_back(conv_bn(in, expanded, 1, 1, 1, true));
      block->push_back(conv_bn(expanded, expanded, 3, stride, expanded, true));
      block->push_back(SqueezeExcitation(expanded, std::max(1, in / 4)));
      block->push_back(conv_bn(expanded, out, 1, 1, 1, false));
    }
    register_module("block", block);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    return use_residual ? x + block->forward(x) : block->forward(x);
  }
};
TORCH_MODULE(MbConv);

// torchvision 0.14 efficientnet_v2_s features, with torchvision's names: features.0 stem, features.1-3
// FusedMBConv stages, features.4-6 MBConv stages with squeeze-excitation, features.7 1x1 conv to 1280.
// The deep stages are split by block ("features.<stage>.<block>."), so that groups stay comparable in size.
// Groups and their parameters (backbone 20,177,488):
//   0 features.0-1 11,160          5 features.5.5-8    1,591,200
//   1 features.2   303,552         6 features.6.0-4    4,510,632
//   2 features.3   589,184         7 features.6.5-9    5,025,600
//   3 features.4   917,680         8 features.6.10-14  5,025,600
//   4 features.5.0-4 1,872,640     9 features.7          330,240
struct EfficientNetV2S : Net {
  nn::Sequential features{nullptr};

  explicit EfficientNetV2S(int num_classes) {
    struct Stage { bool fused; int expand, stride, in, out, blocks; };
    const Stage stages[] = {{true, 1, 1, 24, 24, 2},    {true, 4, 2, 24, 48, 4},    {true, 4, 2, 48, 64, 4},
                            {false, 4, 2, 64, 128, 6},  {false, 6, 1, 128, 160, 9}, {false, 6, 2, 160, 256, 15}};
    features = register_module("features", nn::Sequential());
    features->push_back(conv_bn(3, 24, 3, 2, 1, true));
    for (const auto& st : stages) {
      Block stage;
      for (int i = 0; i < st.blocks; ++i)
        stage->push_back(MbConv(st.fused, i == 0 ? st.in : st.out, st.out, i == 0 ? st.stride : 1, st.expand));
      features->push_back(stage);
    }
    feature_dim = 1280;
    features->push_back(conv_bn(256, feature_dim, 1, 1, 1, true));
    head = register_module("head", nn::Linear(feature_dim, num_classes));
    init_weights(*this);
  }

  int group_count() const override { return 10; }

  int group_of(const std::string& name) const override {
    const int stage = index_after(name, "features.");
    if (stage < 0 || stage > 7) throw std::logic_error("tensor '" + name + "' is not part of the backbone");
    const int block = index_after(name, "features." + std::to_string(stage) + ".");
    switch (stage) {
      case 0: case 1: return 0;
      case 2: return 1;
      case 3: return 2;
      case 4: return 3;
      case 5: return block < 5 ? 4 : 5;
      case 6: return block < 5 ? 6 : block < 10 ? 7 : 8;
      default: return 9;
    }
  }

  std::vector<Stage> build_stages() override {
    std::vector<Stage> out;
    append_stages(out, features);
    return out;
  }
};

const ArchitectureRegistration efficientnet_v2_s{
    {"efficientnet_v2_s", 10, [](int c) { return std::make_shared<EfficientNetV2S>(c); }, {384, 16},
     {{"classifier.1"}, {}}}};

}  // namespace
}  // namespace ote
