#include "models.h"

#include <stdexcept>
#include <utility>

namespace nn = torch::nn;

namespace ote {
namespace {

using Pair = std::pair<int64_t, int64_t>;

// Conv (no bias) -> BatchNorm (eps 0.001, as in the original TensorFlow model) -> ReLU.
struct ConvBnImpl : nn::Module {
  nn::Conv2d conv{nullptr};
  nn::BatchNorm2d bn{nullptr};

  ConvBnImpl(int in, int out, Pair kernel, Pair stride, Pair padding) {
    conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, {kernel.first, kernel.second})
                                                  .stride({stride.first, stride.second})
                                                  .padding({padding.first, padding.second})
                                                  .bias(false)));
    bn = register_module("bn", nn::BatchNorm2d(nn::BatchNorm2dOptions(out).eps(0.001)));
  }
  torch::Tensor forward(const torch::Tensor& x) { return torch::relu(bn->forward(conv->forward(x))); }
};
TORCH_MODULE(ConvBn);

ConvBn basic(int in, int out, int k, int stride = 1, int pad = 0) {
  return ConvBn(in, out, Pair{k, k}, Pair{stride, stride}, Pair{pad, pad});
}
ConvBn square(nn::Module& parent, const std::string& name, int in, int out, int k, int stride = 1, int pad = 0) {
  return parent.register_module(name, basic(in, out, k, stride, pad));
}
// 1 x k or k x 1 convolution keeping the spatial size.
ConvBn row(nn::Module& parent, const std::string& name, int in, int out, int k) {
  return parent.register_module(name, ConvBn(in, out, Pair{1, k}, Pair{1, 1}, Pair{0, k / 2}));
}
ConvBn column(nn::Module& parent, const std::string& name, int in, int out, int k) {
  return parent.register_module(name, ConvBn(in, out, Pair{k, 1}, Pair{1, 1}, Pair{k / 2, 0}));
}

torch::Tensor avg_pool_3x3(const torch::Tensor& x) { return torch::avg_pool2d(x, {3, 3}, {1, 1}, {1, 1}); }
torch::Tensor max_pool_3x3_s2(const torch::Tensor& x) { return torch::max_pool2d(x, {3, 3}, {2, 2}); }

// The Mixed blocks; each output is the channel concatenation of its branches.
struct InceptionAImpl : nn::Module {  // 35x35 grid
  ConvBn b1, b5_1, b5_2, d1, d2, d3, pool;
  InceptionAImpl(int in, int pool_features)
      : b1(square(*this, "branch1x1", in, 64, 1)),
        b5_1(square(*this, "branch5x5_1", in, 48, 1)),
        b5_2(square(*this, "branch5x5_2", 48, 64, 5, 1, 2)),
        d1(square(*this, "branch3x3dbl_1", in, 64, 1)),
        d2(square(*this, "branch3x3dbl_2", 64, 96, 3, 1, 1)),
        d3(square(*this, "branch3x3dbl_3", 96, 96, 3, 1, 1)),
        pool(square(*this, "branch_pool", in, pool_features, 1)) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::cat({b1(x), b5_2(b5_1(x)), d3(d2(d1(x))), pool(avg_pool_3x3(x))}, 1);
  }
};
TORCH_MODULE(InceptionA);

struct InceptionBImpl : nn::Module {  // 35x35 -> 17x17
  ConvBn b3, d1, d2, d3;
  explicit InceptionBImpl(int in)
      : b3(square(*this, "branch3x3", in, 384, 3, 2)),
        d1(square(*this, "branch3x3dbl_1", in, 64, 1)),
        d2(square(*this, "branch3x3dbl_2", 64, 96, 3, 1, 1)),
        d3(square(*this, "branch3x3dbl_3", 96, 96, 3, 2)) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::cat({b3(x), d3(d2(d1(x))), max_pool_3x3_s2(x)}, 1);
  }
};
TORCH_MODULE(InceptionB);

struct InceptionCImpl : nn::Module {  // 17x17 grid, factorized 7x7
  ConvBn b1, s1, s2, s3, d1, d2, d3, d4, d5, pool;
  InceptionCImpl(int in, int c7)
      : b1(square(*this, "branch1x1", in, 192, 1)),
        s1(square(*this, "branch7x7_1", in, c7, 1)),
        s2(row(*this, "branch7x7_2", c7, c7, 7)),
        s3(column(*this, "branch7x7_3", c7, 192, 7)),
        d1(square(*this, "branch7x7dbl_1", in, c7, 1)),
        d2(column(*this, "branch7x7dbl_2", c7, c7, 7)),
        d3(row(*this, "branch7x7dbl_3", c7, c7, 7)),
        d4(column(*this, "branch7x7dbl_4", c7, c7, 7)),
        d5(row(*this, "branch7x7dbl_5", c7, 192, 7)),
        pool(square(*this, "branch_pool", in, 192, 1)) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::cat({b1(x), s3(s2(s1(x))), d5(d4(d3(d2(d1(x))))), pool(avg_pool_3x3(x))}, 1);
  }
};
TORCH_MODULE(InceptionC);

struct InceptionDImpl : nn::Module {  // 17x17 -> 8x8
  ConvBn t1, t2, s1, s2, s3, s4;
  explicit InceptionDImpl(int in)
      : t1(square(*this, "branch3x3_1", in, 192, 1)),
        t2(square(*this, "branch3x3_2", 192, 320, 3, 2)),
        s1(square(*this, "branch7x7x3_1", in, 192, 1)),
        s2(row(*this, "branch7x7x3_2", 192, 192, 7)),
        s3(column(*this, "branch7x7x3_3", 192, 192, 7)),
        s4(square(*this, "branch7x7x3_4", 192, 192, 3, 2)) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::cat({t2(t1(x)), s4(s3(s2(s1(x)))), max_pool_3x3_s2(x)}, 1);
  }
};
TORCH_MODULE(InceptionD);

struct InceptionEImpl : nn::Module {  // 8x8 grid, 1x3 and 3x1 side by side
  ConvBn b1, t1, t2a, t2b, d1, d2, d3a, d3b, pool;
  explicit InceptionEImpl(int in)
      : b1(square(*this, "branch1x1", in, 320, 1)),
        t1(square(*this, "branch3x3_1", in, 384, 1)),
        t2a(row(*this, "branch3x3_2a", 384, 384, 3)),
        t2b(column(*this, "branch3x3_2b", 384, 384, 3)),
        d1(square(*this, "branch3x3dbl_1", in, 448, 1)),
        d2(square(*this, "branch3x3dbl_2", 448, 384, 3, 1, 1)),
        d3a(row(*this, "branch3x3dbl_3a", 384, 384, 3)),
        d3b(column(*this, "branch3x3dbl_3b", 384, 384, 3)),
        pool(square(*this, "branch_pool", in, 192, 1)) {}
  torch::Tensor forward(const torch::Tensor& x) {
    const auto t = t1(x);
    const auto d = d2(d1(x));
    return torch::cat({b1(x), t2a(t), t2b(t), d3a(d), d3b(d), pool(avg_pool_3x3(x))}, 1);
  }
};
TORCH_MODULE(InceptionE);

// torchvision 0.14 inception_v3 without the auxiliary classifier, torchvision's names; the input must be at
// least 75x75. Groups, shallow to deep, with their parameter counts:
//    0 Conv2d_1a_3x3, 2a, 2b        28,768
//    1 Conv2d_3b_1x1, 4a           143,904
//    2 Mixed_5b                    255,904
//    3 Mixed_5c                    277,472
//    4 Mixed_5d                    285,152
//    5 Mixed_6a                  1,153,280
//    6 Mixed_6b                  1,297,408
//    7 Mixed_6c                  1,691,008
//    8 Mixed_6d, 6e              3,832,960
//    9 Mixed_7a, 7b              6,742,912
//   10 Mixed_7c                  6,076,800   (backbone 21,785,568)
struct InceptionV3 : Net {
  // Google's weights (torchvision's pretrained ones) expect inputs scaled to [-1, 1]; with transform_input
  // the ImageNet-normalized input is mapped to that scale, as torchvision does when given those weights.
  bool transform_input;
  std::vector<std::pair<std::string, nn::AnyModule>> parts;

  InceptionV3(int num_classes, bool transform)
      : transform_input(transform) {
    add("Conv2d_1a_3x3", basic(3, 32, 3, 2));
    add("Conv2d_2a_3x3", basic(32, 32, 3));
    add("Conv2d_2b_3x3", basic(32, 64, 3, 1, 1));
    add("Conv2d_3b_1x1", basic(64, 80, 1));
    add("Conv2d_4a_3x3", basic(80, 192, 3));
    add("Mixed_5b", InceptionA(192, 32));
    add("Mixed_5c", InceptionA(256, 64));
    add("Mixed_5d", InceptionA(288, 64));
    add("Mixed_6a", InceptionB(288));
    add("Mixed_6b", InceptionC(768, 128));
    add("Mixed_6c", InceptionC(768, 160));
    add("Mixed_6d", InceptionC(768, 160));
    add("Mixed_6e", InceptionC(768, 192));
    add("Mixed_7a", InceptionD(768));
    add("Mixed_7b", InceptionE(1280));
    add("Mixed_7c", InceptionE(2048));
    feature_dim = 2048;
    head = register_module("head", nn::Linear(feature_dim, num_classes));
    init_weights(*this);
  }

  template <typename M>
  void add(const std::string& name, M module) {
    parts.emplace_back(name, nn::AnyModule(register_module(name, module)));
  }

  int group_count() const override { return 11; }

  int group_of(const std::string& name) const override {
    static const std::pair<const char*, int> groups[] = {
        {"Conv2d_1a_3x3.", 0}, {"Conv2d_2a_3x3.", 0}, {"Conv2d_2b_3x3.", 0}, {"Conv2d_3b_1x1.", 1},
        {"Conv2d_4a_3x3.", 1}, {"Mixed_5b.", 2},      {"Mixed_5c.", 3},      {"Mixed_5d.", 4},
        {"Mixed_6a.", 5},      {"Mixed_6b.", 6},      {"Mixed_6c.", 7},      {"Mixed_6d.", 8},
        {"Mixed_6e.", 8},      {"Mixed_7a.", 9},      {"Mixed_7b.", 9},      {"Mixed_7c.", 10}};
    for (const auto& [prefix, group] : groups)
      if (name.rfind(prefix, 0) == 0) return group;
    throw std::logic_error("tensor '" + name + "' is not part of the inception_v3 backbone");
  }

  std::vector<Stage> build_stages() override {
    std::vector<Stage> out;
    out.push_back({{}, [this](const torch::Tensor& x) { return prepare(x); }});
    for (auto& [name, stage] : parts) {
      auto* any = &stage;
      out.push_back({{any->ptr()}, [any](const torch::Tensor& x) { return any->forward(x); }});
      if (name == "Conv2d_2b_3x3" || name == "Conv2d_4a_3x3")
        out.push_back({{}, [](const torch::Tensor& x) { return max_pool_3x3_s2(x); }});
    }
    return out;
  }

  torch::Tensor prepare(const torch::Tensor& input) const {
    if (input.size(2) < 75 || input.size(3) < 75)
      throw std::invalid_argument("inception_v3 needs inputs of at least 75x75, got " + std::to_string(input.size(2)) +
                                  "x" + std::to_string(input.size(3)));
    if (!transform_input) return input;
    const auto transform = inception_input_transform();
    return (input * transform.scale + transform.shift).contiguous(input.suggest_memory_format());
  }
};

const ArchitectureRegistration inception_v3{
    {"inception_v3", 11, [](int c) { return std::make_shared<InceptionV3>(c, /*transform=*/true); }, {299, 75},
     {{"fc"}, {"AuxLogits."}}}};

}  // namespace

ChannelAffine inception_input_transform() {
  // Undo the ImageNet normalization, then scale to [-1, 1]: (x * std + mean - 0.5) / 0.5.
  // Constants computed in double and then rounded, as torchvision's Python floats are: a shift computed in
  // float differs in the last bit and moved random-weight ImageNet logits by 1.3e-4 relative.
  return {torch::tensor({float(0.229 / 0.5), float(0.224 / 0.5), float(0.225 / 0.5)}).view({1, 3, 1, 1}),
          torch::tensor({float((0.485 - 0.5) / 0.5), float((0.456 - 0.5) / 0.5), float((0.406 - 0.5) / 0.5)})
              .view({1, 3, 1, 1})};
}

}  // namespace ote
