#include "state_dict.h"

#include "error_text.h"
#include "raw_tensors.h"
#include "torch_compat.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/unpickler.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>
#include <stdexcept>
#include <vector>

namespace ote {

namespace {

constexpr const char* kWeightsFormat = "orchestrator-backbone-weights";
constexpr int64_t kWeightsVersion = 1;
constexpr size_t kNamesShown = 5;

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string shape_text(const torch::Tensor& t) { return c10::str(t.sizes()); }

// "3 missing (a, b, c)" with at most kNamesShown names, then ", ...".
std::string listing(const std::vector<std::string>& names, const char* what) {
  std::string s = std::to_string(names.size()) + " " + what + " (";
  for (size_t i = 0; i < names.size() && i < kNamesShown; ++i) s += (i ? ", " : "") + names[i];
  return s + (names.size() > kNamesShown ? ", ...)" : ")");
}

// libtorch 1.13's unpickler knows SETITEMS but not SETITEM, which Python's pickle writes for a dict of exactly one
// item ({"input": x}, a one-tensor state dict). For a top-level dict whose last operation is SETITEM, a MARK after
// the EMPTY_DICT (and its memo PUT) and SETITEMS in its place give the same dict; SETITEMS batches before it
// consume their own MARKs.
std::string with_setitem_batched(std::string pickle) {
  size_t i = pickle.size() >= 2 && static_cast<unsigned char>(pickle[0]) == 0x80 ? 2 : 0;  // PROTO n
  const size_t n = pickle.size();
  if (n < i + 4 || pickle[i] != '}' || pickle[n - 1] != '.' || pickle[n - 2] != 's') return pickle;
  ++i;
  if (pickle[i] == 'q') i += 2;       // BINPUT, 1-byte index
  else if (pickle[i] == 'r') i += 5;  // LONG_BINPUT, 4-byte index
  pickle[n - 2] = 'u';
  pickle.insert(i, 1, '(');
  return pickle;
}

// A file written by Python's torch.save (zip format) or by torch::pickle_save.
c10::IValue load_pickle(const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0)
    throw std::invalid_argument("cannot read '" + path + "': " + std::strerror(errno));
  try {
    caffe2::serialize::PyTorchStreamReader zip(path);
    at::DataPtr data;
    size_t size = 0;
    std::tie(data, size) = zip.getRecord("data.pkl");
    const std::string pickle = with_setitem_batched(std::string(static_cast<const char*>(data.get()), size));
    size_t offset = 0;
    auto reader = [&](char* buffer, size_t len) -> size_t {
      len = std::min(len, pickle.size() - offset);
      std::memcpy(buffer, pickle.data() + offset, len);
      offset += len;
      return len;
    };
    auto read_record = [&](const std::string& name) { return std::get<0>(zip.getRecord("data/" + name)); };
    torch::jit::Unpickler unpickler(reader, nullptr, nullptr, read_record, kNoValue);
    unpickler.set_version(zip.version());
    return unpickler.parse_ivalue();
  } catch (const c10::Error& e) {
    throw std::invalid_argument("'" + path + "' is not a readable torch.save file (truncated, corrupt, or not saved " +
                                "with torch.save): " + first_line(e.what_without_backtrace()));
  }
}

// Name -> tensor entries of a dict, in file order; anything that is not a string -> tensor entry is refused.
std::vector<std::pair<std::string, torch::Tensor>> tensor_entries(const c10::IValue& value, const std::string& path,
                                                                 const std::string& what) {
  if (!value.isGenericDict())
    throw std::invalid_argument("'" + path + "': " + what + " is a " + value.tagKind() +
                                ", expected a dict of tensors (save dict(model.state_dict()) with torch.save)");
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& kv : value.toGenericDict()) {
    if (!kv.key().isString()) throw std::invalid_argument("'" + path + "': " + what + " has a key that is not a string");
    if (!kv.value().isTensor())
      throw std::invalid_argument("'" + path + "': entry '" + kv.key().toStringRef() + "' of " + what + " is a " +
                                  kv.value().tagKind() + ", not a tensor (save dict(model.state_dict()) with torch.save)");
    out.emplace_back(kv.key().toStringRef(), kv.value().toTensor());
  }
  return out;
}

bool is_reference_classifier(const ReferenceClassifier& c, const std::string& name) {
  for (const auto& l : c.linears)
    if (name == l + ".weight" || name == l + ".bias") return true;
  return false;
}

// The classifier is all or nothing, and its Linear layers must chain: in of the first = classifier_input_dim().
void check_classifier(const Architecture& arch, const Net& layout, const std::map<std::string, torch::Tensor>& c,
                      const std::string& path) {
  if (c.empty()) return;
  int64_t in = layout.classifier_input_dim();
  for (const auto& l : arch.classifier.linears) {
    auto w = c.find(l + ".weight"), b = c.find(l + ".bias");
    if (w == c.end() || b == c.end())
      throw std::invalid_argument("'" + path + "': the ImageNet classifier of " + arch.name + " is incomplete: '" +
                                  (w == c.end() ? l + ".weight" : l + ".bias") + "' is missing");
    const auto& W = w->second;
    const auto& B = b->second;
    if (W.dim() != 2 || W.size(1) != in || B.dim() != 1 || B.size(0) != W.size(0))
      throw std::invalid_argument("'" + path + "': classifier layer '" + l + "' has weight " + shape_text(W) +
                                  " and bias " + shape_text(B) + ", expected weight [out, " + std::to_string(in) +
                                  "] and bias [out]");
    in = W.size(0);
  }
}

torch::Tensor as_dtype_of(const torch::Tensor& t, const torch::Tensor& like) {
  if (like.is_floating_point() ? !t.is_floating_point() : t.is_floating_point()) return {};
  return t.detach().to(like.scalar_type()).contiguous();
}

// Sorts every entry into backbone, classifier or ignored, and refuses the lot on any missing, unexpected or
// misshapen tensor.
BackboneWeights match(const Architecture& arch, Net& layout,
                      const std::vector<std::pair<std::string, torch::Tensor>>& entries, const std::string& path) {
  std::vector<std::string> order;  // the net's own order, for listing what is missing
  std::map<std::string, torch::Tensor> expected;
  auto expect = [&](const std::string& name, const torch::Tensor& t) {
    if (starts_with(name, "head.")) return;
    order.push_back(name);
    expected[name] = t;
  };
  for (auto& p : layout.named_parameters(true)) expect(p.key(), p.value());
  for (auto& b : layout.named_buffers(true)) expect(b.key(), b.value());

  BackboneWeights w;
  w.arch = arch.name;
  std::vector<std::string> unexpected, misshapen, missing;
  for (const auto& [name, tensor] : entries) {
    bool ignored = false;
    for (const auto& prefix : arch.classifier.ignored) ignored = ignored || starts_with(name, prefix);
    if (ignored) {
      ++w.ignored;
      continue;
    }
    if (is_reference_classifier(arch.classifier, name)) {
      if (!tensor.is_floating_point()) misshapen.push_back(name + " is not floating point");
      w.classifier[name] = tensor.detach().to(torch::kFloat32).contiguous();
      continue;
    }
    const std::string key = layout.canonical_name(name);
    auto it = expected.find(key);
    if (it == expected.end() || w.backbone.count(key) != 0) {
      unexpected.push_back(name);
      continue;
    }
    auto converted = as_dtype_of(tensor, it->second);
    if (tensor.sizes() != it->second.sizes() || !converted.defined())
      misshapen.push_back(name + " " + shape_text(tensor) + " " + c10::toString(tensor.scalar_type()) + ", expected " +
                          shape_text(it->second) + " " + c10::toString(it->second.scalar_type()));
    else
      w.backbone[key] = converted;
  }
  // num_batches_tracked only counts BatchNorm updates; older checkpoints lack it.
  for (const auto& name : order)
    if (w.backbone.count(name) == 0 && !ends_with(name, ".num_batches_tracked")) missing.push_back(name);

  std::string problems;
  for (const auto& [names, what] : {std::pair{&missing, "missing"}, std::pair{&unexpected, "unexpected"},
                                    std::pair{&misshapen, "with another shape or type"}})
    if (!names->empty()) problems += (problems.empty() ? "" : ", ") + listing(*names, what);
  if (!problems.empty()) throw std::invalid_argument("'" + path + "' does not match " + arch.name + ": " + problems);
  check_classifier(arch, layout, w.classifier, path);
  return w;
}

}  // namespace

int64_t BackboneWeights::classes() const {
  if (classifier.empty()) return 0;
  return classifier.at(architecture(arch).classifier.linears.back() + ".weight").size(0);
}

BackboneWeights read_weights(const std::string& arch_name, Net& layout, const std::string& path) {
  const auto& arch = architecture(arch_name);
  if (is_raw_tensor_file(path)) {  // e.g. a graph backbone's own weights.bin
    auto w = match(arch, layout, read_raw_tensor_file(path), path);
    w.from_state_dict = true;
    return w;
  }
  const auto root = load_pickle(path);
  if (root.isGenericDict()) {
    const auto dict = root.toGenericDict();
    const auto format = dict.find(std::string("format"));
    if (format != dict.end() && format->value().isString() && format->value().toStringRef() == kWeightsFormat) {
      auto field = [&](const char* key) {
        auto it = dict.find(std::string(key));
        if (it == dict.end()) throw std::invalid_argument("'" + path + "' lacks '" + key + "'");
        return it->value();
      };
      const auto version = field("version");
      if (!version.isInt() || version.toInt() != kWeightsVersion)
        throw std::invalid_argument("'" + path + "' has an unsupported weights file version");
      const auto held = field("arch");
      if (!held.isString() || held.toStringRef() != arch.name)
        throw std::invalid_argument("'" + path + "' holds " + (held.isString() ? held.toStringRef() : "unknown") +
                                    " weights, not " + arch.name + " weights");
      auto entries = tensor_entries(field("backbone"), path, "backbone");
      for (auto& e : tensor_entries(field("classifier"), path, "classifier")) entries.push_back(std::move(e));
      return match(arch, layout, entries, path);
    }
  }
  auto w = match(arch, layout, tensor_entries(root, path, "the file"), path);
  w.from_state_dict = true;
  return w;
}

void save_weights(const BackboneWeights& weights, const std::string& path) {
  c10::Dict<std::string, torch::Tensor> backbone, classifier;
  for (const auto& [name, t] : weights.backbone) backbone.insert(name, t.contiguous());
  for (const auto& [name, t] : weights.classifier) classifier.insert(name, t.contiguous());
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert(std::string("format"), std::string(kWeightsFormat));
  root.insert(std::string("version"), kWeightsVersion);
  root.insert(std::string("arch"), weights.arch);
  root.insert(std::string("backbone"), backbone);
  root.insert(std::string("classifier"), classifier);
  const auto bytes = torch::pickle_save(root);
  write_atomically(path, std::string_view(bytes.data(), bytes.size()));
}

void load_backbone_into(const BackboneWeights& weights, Net& net) {
  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string& name, torch::Tensor& dst) {
    if (auto it = weights.backbone.find(name); it != weights.backbone.end()) dst.copy_(it->second);
  };
  for (auto& p : net.named_parameters(true)) copy(p.key(), p.value());
  for (auto& b : net.named_buffers(true)) copy(b.key(), b.value());
}

ReferenceOutput forward_reference(const BackboneWeights& weights, Net& net, const torch::Tensor& input) {
  net.eval();
  torch::NoGradGuard no_grad;
  const auto map = net.feature_map(input);
  ReferenceOutput out;
  out.features = Net::global_pool(map).contiguous();
  if (weights.classifier.empty()) return out;
  const auto& linears = architecture(weights.arch).classifier.linears;
  auto y = net.classifier_input(map);
  for (size_t i = 0; i < linears.size(); ++i) {
    // Dropout between the layers is the identity in eval mode.
    if (i > 0) y = torch::relu(y);
    y = torch::linear(y, weights.classifier.at(linears[i] + ".weight"), weights.classifier.at(linears[i] + ".bias"));
  }
  out.logits = y.contiguous();
  return out;
}

int64_t forward_file(const BackboneWeights& weights, Net& net, const std::string& input_path,
                     const std::string& output_path) {
  const auto root = load_pickle(input_path);
  torch::Tensor x;
  if (root.isTensor()) {
    x = root.toTensor();
  } else if (root.isGenericDict()) {
    const auto dict = root.toGenericDict();
    const auto it = dict.find(std::string("input"));
    if (it == dict.end() || !it->value().isTensor())
      throw std::invalid_argument("'" + input_path + "' has no tensor under \"input\" (save it as {\"input\": x})");
    x = it->value().toTensor();
  } else {
    throw std::invalid_argument("'" + input_path + "' holds a " + root.tagKind() + ", expected {\"input\": x}");
  }
  const auto& spec = architecture(weights.arch).input;
  if (x.dim() != 4 || x.size(0) < 1 || x.size(1) != 3)
    throw std::invalid_argument("'" + input_path + "': the input must be N x 3 x H x W, got " + shape_text(x));
  if (!x.is_floating_point())
    throw std::invalid_argument("'" + input_path + "': the input must be a float tensor, got " +
                                c10::toString(x.scalar_type()));
  if (x.size(2) < spec.min_size || x.size(3) < spec.min_size)
    throw std::invalid_argument(weights.arch + " needs inputs of at least " + std::to_string(spec.min_size) + "x" +
                                std::to_string(spec.min_size) + ", got " + std::to_string(x.size(2)) + "x" +
                                std::to_string(x.size(3)));
  const auto out = forward_reference(weights, net, x.to(torch::kFloat32).contiguous());
  c10::Dict<std::string, torch::Tensor> result;
  result.insert("features", out.features);
  if (out.logits.defined()) result.insert("logits", out.logits);
  const auto bytes = torch::pickle_save(result);
  write_atomically(output_path, std::string_view(bytes.data(), bytes.size()));
  return x.size(0);
}

}  // namespace ote
