#include "torchvision_export.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include <map>
#include <stdexcept>
#include <vector>

namespace ote {
namespace {

using StateDict = c10::Dict<std::string, torch::Tensor>;

// vgg16, torchvision's and the engine's: five 2x2 max-pools, each flooring the side; then torchvision's
// AdaptiveAvgPool2d((7, 7)) and a classifier with two hidden layers of 4096.
constexpr int kVgg16Stride = 32;
constexpr int64_t kVgg16Windows = 7;
constexpr int64_t kVgg16Hidden = 4096;

// Weights u of the `windows` windows of torch's adaptive average pool over `side` positions (window i averages
// [floor(i * side / windows), ceil((i + 1) * side / windows))) such that sum_i u_i * window_i is the mean of the
// `side` positions whatever they hold: u solves A^T u = (1/side, ..., 1/side), A the windows x side averaging
// matrix. Empty where no u does (the windows overlap unevenly).
std::vector<double> window_weights_for_mean(int64_t side, int64_t windows) {
  if (side < 1) return {};
  auto a = torch::zeros({windows, side}, torch::kDouble);
  for (int64_t i = 0; i < windows; ++i) {
    const int64_t begin = i * side / windows, end = ((i + 1) * side + windows - 1) / windows;
    a.index_put_({i, torch::indexing::Slice(begin, end)}, 1.0 / static_cast<double>(end - begin));
  }
  const auto mean = torch::full({side}, 1.0 / static_cast<double>(side), torch::kDouble);
  const auto u = torch::linalg::pinv(a.t(), /*rcond=*/1e-10, /*hermitian=*/false).matmul(mean).contiguous();
  // A consistent system leaves rounding (1e-16); an inconsistent one misses by a few percent of 1/side.
  if ((a.t().matmul(u) - mean).abs().max().item<double>() > 1e-12) return {};
  return {u.data_ptr<double>(), u.data_ptr<double>() + windows};
}

std::string vgg16_refusal(int input_size) {
  const int side = input_size / kVgg16Stride;
  if (!window_weights_for_mean(side, kVgg16Windows).empty()) return "";
  const auto at = [](int s) { return std::to_string(s) + "x" + std::to_string(s); };
  return "at input " + at(input_size) + " the last feature map is " + at(side) +
         ", and no weighting of the 7x7 windows torchvision's vgg16 averages it into (AdaptiveAvgPool2d((7, 7))) gives "
         "the global average the engine's head takes (inputs of 32 to 287, 320 to 351 or 448 to 479 have one, among "
         "others)";
}

// torchvision's vgg16 classifier computing the engine's head on the map's global average. classifier.0 takes each
// channel's 7x7 windows to that channel's average (weights u_i * u_j), classifier.3 passes those on, classifier.6
// is the head on them; every other hidden unit is zero. The map is >= 0 (ReLU, then max-pool), so both ReLUs pass
// the averages unchanged, and dropout is the identity in eval mode.
void vgg16_classifier(StateDict& dict, int input_size) {
  const auto u = window_weights_for_mean(input_size / kVgg16Stride, kVgg16Windows);
  if (u.empty()) throw std::invalid_argument("no torchvision state dict for vgg16: " + vgg16_refusal(input_size));
  const auto axis = torch::tensor(u, torch::kDouble);
  const auto window = torch::outer(axis, axis).flatten().to(torch::kFloat);  // row-major, as torchvision flattens
  const auto head = dict.at("classifier.6.weight");
  const int64_t channels = head.size(1), windows = window.size(0);

  auto average = torch::zeros({kVgg16Hidden, channels * windows});
  average.narrow(0, 0, channels).view({channels, channels, windows}).diagonal(0, 0, 1).copy_(
      window.unsqueeze(1).expand({windows, channels}));
  auto pass = torch::zeros({kVgg16Hidden, kVgg16Hidden});
  pass.diagonal().narrow(0, 0, channels).fill_(1);
  auto last = torch::zeros({head.size(0), kVgg16Hidden});
  last.narrow(1, 0, channels).copy_(head);

  dict.insert("classifier.0.weight", average);
  dict.insert("classifier.0.bias", torch::zeros({kVgg16Hidden}));
  dict.insert("classifier.3.weight", pass);
  dict.insert("classifier.3.bias", torch::zeros({kVgg16Hidden}));
  dict.insert_or_assign("classifier.6.weight", last);
}

// The engine's inception_v3 transforms its input (x' = scale_c * x + shift_c) where torchvision's inception_v3(
// num_classes=C) does not; folded into Conv2d_1a_3x3. That convolution has no padding and no bias, so each of its
// outputs sees the shift through its whole kernel: conv_W(x') = conv_{W * scale}(x) + k, k_o = sum_{c,i,j}
// W[o,c,i,j] * shift_c. Its BatchNorm takes (y + k - mean): a running mean smaller by k takes out the k.
void fold_input_transform(StateDict& dict) {
  const auto transform = inception_input_transform();
  const std::string conv = "Conv2d_1a_3x3.conv.weight", mean = "Conv2d_1a_3x3.bn.running_mean";
  const auto w = dict.at(conv).to(torch::kDouble);
  const auto k = (w * transform.shift.to(torch::kDouble)).sum({1, 2, 3});
  dict.insert_or_assign(conv, (w * transform.scale.to(torch::kDouble)).to(torch::kFloat));
  dict.insert_or_assign(mean, (dict.at(mean).to(torch::kDouble) - k).to(torch::kFloat));
}

// torchvision's inception_v3(num_classes=C) has an auxiliary classifier (InceptionAux(768, C)) that only its
// training-mode forward runs; the engine's net has none. Its BatchNorms as torchvision initializes them, its
// convolution and Linear tensors zero: it outputs zeros.
void add_auxiliary_classifier(StateDict& dict) {
  const auto conv = [&dict](const std::string& name, std::vector<int64_t> shape) {
    const int64_t out = shape[0];
    dict.insert(name + ".conv.weight", torch::zeros(shape));
    dict.insert(name + ".bn.weight", torch::ones({out}));
    dict.insert(name + ".bn.bias", torch::zeros({out}));
    dict.insert(name + ".bn.running_mean", torch::zeros({out}));
    dict.insert(name + ".bn.running_var", torch::ones({out}));
    dict.insert(name + ".bn.num_batches_tracked", torch::zeros({}, torch::kLong));
  };
  conv("AuxLogits.conv0", {128, 768, 1, 1});
  conv("AuxLogits.conv1", {768, 128, 5, 5});
  const int64_t classes = dict.at("fc.weight").size(0);
  dict.insert("AuxLogits.fc.weight", torch::zeros({classes, 768}));
  dict.insert("AuxLogits.fc.bias", torch::zeros({classes}));
}

// A torchvision model whose eval forward is the engine's net: `head` names the engine's head (its Linear on the
// globally pooled features) in torchvision's model; `adapt`, where set, gives the state dict what torchvision's
// model has or computes otherwise.
struct TorchvisionModel {
  std::string head;
  std::function<void(StateDict&, int input_size)> adapt;
};

const std::map<std::string, TorchvisionModel>& torchvision_models() {
  static const std::map<std::string, TorchvisionModel> models = {
      {"resnet50", {"fc", nullptr}},
      {"densenet121", {"classifier", nullptr}},
      {"mobilenet_v2", {"classifier.1", nullptr}},
      {"efficientnet_v2_s", {"classifier.1", nullptr}},
      {"vgg16", {"classifier.6", vgg16_classifier}},
      {"inception_v3", {"fc", [](StateDict& dict, int) {
                          fold_input_transform(dict);
                          add_auxiliary_classifier(dict);
                        }}},
      // Not in torchvision: the engine's xception has the names and layout of timm's legacy_xception, whose
      // classifier is `fc` on the pooled features, so its state dict is that model's.
      {"xception", {"fc", nullptr}},
  };
  return models;
}

// Every tensor of `net` on the CPU, under its name; the head's under `head`.
StateDict named_tensors(Net& net, const std::string& head) {
  StateDict dict;
  const auto add = [&](const std::string& name, const torch::Tensor& t) {
    const bool is_head = name.rfind("head.", 0) == 0;
    dict.insert(is_head ? head + name.substr(4) : name, t.detach().to(torch::kCPU).contiguous());
  };
  for (const auto& p : net.named_parameters(true)) add(p.key(), p.value());
  for (const auto& b : net.named_buffers(true)) add(b.key(), b.value());
  return dict;
}

// torch.save's zip format (as torch::pickle_save writes it), handed to `sink` record by record: no copy of the file
// in memory beside the tensors.
void save(const StateDict& dict, const ByteSink& sink) {
  std::vector<char> pickled;  // the dict's keys and storage references; the tensors' bytes are records of their own
  torch::jit::Pickler pickler(
      [&pickled](const char* data, size_t size) { pickled.insert(pickled.end(), data, data + size); });
  pickler.protocol();
  pickler.pushIValue(dict);
  pickler.stop();
  bool stopped = false;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t size) -> size_t {
    stopped = stopped || !sink(static_cast<const char*>(data), size);
    return stopped ? 0 : size;
  });
  torch::jit::writeArchiveAndTensors("data", pickled.data(), pickled.size(), pickler.tensorData(), writer);
  writer.writeEndOfFile();
  if (stopped) throw std::runtime_error("the state dict's destination stopped taking bytes");
}

}  // namespace

std::string torchvision_refusal(const std::string& arch, int input_size) {
  static const std::map<std::string, std::string> absent = {
      {"lightweight-cnn", "lightweight-cnn is the project's own network, not in torchvision"},
  };
  if (auto it = absent.find(arch); it != absent.end()) return it->second;
  if (torchvision_models().count(arch) == 0)
    return arch + " is not a torchvision architecture (an imported ONNX backbone)";
  return arch == "vgg16" ? vgg16_refusal(input_size) : "";
}

void write_torchvision_state_dict(const std::string& arch, Net& net, int input_size, const ByteSink& sink) {
  if (const auto why = torchvision_refusal(arch, input_size); !why.empty())
    throw std::invalid_argument("no torchvision state dict for " + arch + ": " + why);
  const auto& model = torchvision_models().at(arch);
  auto dict = named_tensors(net, model.head);
  if (model.adapt) model.adapt(dict, input_size);
  save(dict, sink);
}

}  // namespace ote
