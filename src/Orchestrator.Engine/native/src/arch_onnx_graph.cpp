#include "arch_onnx_graph.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "models.h"
#include "raw_tensors.h"

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace ote {
namespace {

// One node of graph.txt: `node OP MODULE GROUP OUT IN[,IN...] key=v[,v...]...`; values are integers (value 0 is the
// network input) and MODULE is "-" for a node without tensors.
struct GraphNode {
  std::string op;
  std::string module;
  int group = 0;
  int out = 0;
  std::vector<int> in;
  std::map<std::string, std::vector<double>> attrs;

  const std::vector<double>& attr(const std::string& key) const {
    auto it = attrs.find(key);
    if (it == attrs.end()) throw std::invalid_argument("graph node " + module + " (" + op + ") lacks '" + key + "'");
    return it->second;
  }
  int64_t int_attr(const std::string& key) const { return static_cast<int64_t>(attr(key).at(0)); }
  std::vector<int64_t> ints(const std::string& key) const {
    std::vector<int64_t> v;
    for (double d : attr(key)) v.push_back(static_cast<int64_t>(d));
    return v;
  }
};

// A stage reads one value (the output of the stage before, or the input) and ends in one value.
struct GraphStage {
  int input = 0;
  int output = 0;
  std::vector<GraphNode> nodes;
};

struct GraphSpec {
  int groups = 0;
  int feature_dim = 0;
  int values = 0;
  InputSpec input{224, 16};
  std::vector<GraphStage> stages;
};

std::vector<double> parse_numbers(const std::string& text, const std::string& where) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0') throw std::invalid_argument(where + ": '" + item + "' is not a number");
    out.push_back(v);
  }
  return out;
}

GraphSpec read_graph(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot open '" + path + "'");
  std::string line;
  if (!std::getline(in, line) || line != "ote-graph 1") throw std::invalid_argument("'" + path + "' is not an engine graph (ote-graph 1)");
  GraphSpec spec;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string where = path + ":" + std::to_string(line_no);
    std::istringstream ls(line);
    std::string kind;
    if (!(ls >> kind)) continue;
    if (kind == "groups") {
      ls >> spec.groups;
    } else if (kind == "values") {
      ls >> spec.values;
    } else if (kind == "feature_dim") {
      ls >> spec.feature_dim;
    } else if (kind == "input_size") {
      ls >> spec.input.default_size >> spec.input.min_size;
    } else if (kind == "mean") {
      ls >> spec.input.mean[0] >> spec.input.mean[1] >> spec.input.mean[2];
    } else if (kind == "std") {
      ls >> spec.input.std[0] >> spec.input.std[1] >> spec.input.std[2];
    } else if (kind == "stage") {
      GraphStage stage;
      ls >> stage.input >> stage.output;
      spec.stages.push_back(stage);
    } else if (kind == "node") {
      if (spec.stages.empty()) throw std::invalid_argument(where + ": node before any stage");
      GraphNode node;
      std::string inputs;
      ls >> node.op >> node.module >> node.group >> node.out >> inputs;
      for (double v : parse_numbers(inputs, where)) node.in.push_back(static_cast<int>(v));
      std::string kv;
      while (ls >> kv) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos) throw std::invalid_argument(where + ": '" + kv + "' is not key=value");
        node.attrs[kv.substr(0, eq)] = parse_numbers(kv.substr(eq + 1), where);
      }
      spec.stages.back().nodes.push_back(std::move(node));
    } else {
      throw std::invalid_argument(where + ": unknown line '" + kind + "'");
    }
    if (ls.fail() && !ls.eof()) throw std::invalid_argument(where + ": malformed line");
  }
  if (spec.groups < 1 || spec.feature_dim < 1 || spec.values < 1 || spec.stages.empty())
    throw std::invalid_argument("'" + path + "' lacks groups, feature_dim, values or stages");
  return spec;
}

// ONNX pads [top, left, bottom, right] -> constant_pad_nd's [left, right, top, bottom].
std::vector<int64_t> torch_pads(const std::vector<int64_t>& p) { return {p[1], p[3], p[0], p[2]}; }
bool symmetric(const std::vector<int64_t>& p) { return p[0] == p[2] && p[1] == p[3]; }
bool any(const std::vector<int64_t>& p) {
  for (auto v : p)
    if (v != 0) return true;
  return false;
}

// A constant operand of Add or Mul, kept as a buffer so that checkpoints carry it.
struct ConstantImpl : nn::Module {
  torch::Tensor value;
  explicit ConstantImpl(const std::vector<int64_t>& shape) { value = register_buffer("value", torch::zeros(shape)); }
};

using Op = std::function<torch::Tensor(const std::vector<torch::Tensor>&)>;

// The module holding the node's tensors (or null) and the function computing its output from its inputs.
std::pair<std::shared_ptr<nn::Module>, Op> build_node(const GraphNode& n) {
  const auto& op = n.op;
  if (op == "Conv") {
    const auto ch = n.ints("channels");  // in, out
    const auto k = n.ints("kernel");
    const auto pads = n.ints("pads");
    auto options = nn::Conv2dOptions(ch.at(0), ch.at(1), {k.at(0), k.at(1)})
                       .stride(n.ints("stride"))
                       .dilation(n.ints("dilation"))
                       .groups(n.int_attr("group"))
                       .bias(n.int_attr("bias") != 0);
    const bool native_pads = symmetric(pads);
    if (native_pads) options.padding(std::vector<int64_t>{pads[0], pads[1]});
    auto conv = nn::Conv2d(options).ptr();
    auto tp = torch_pads(pads);
    return {conv, [conv, native_pads, tp](const std::vector<torch::Tensor>& x) {
              return conv->forward(native_pads ? x[0] : torch::constant_pad_nd(x[0], tp, 0));
            }};
  }
  if (op == "BatchNormalization") {
    auto bn = nn::BatchNorm2d(nn::BatchNorm2dOptions(n.int_attr("channels")).eps(n.attr("eps").at(0))).ptr();
    return {bn, [bn](const std::vector<torch::Tensor>& x) { return bn->forward(x[0]); }};
  }
  if (op == "Relu") return {nullptr, [](const std::vector<torch::Tensor>& x) { return torch::relu(x[0]); }};
  if (op == "Sigmoid") return {nullptr, [](const std::vector<torch::Tensor>& x) { return torch::sigmoid(x[0]); }};
  if (op == "Identity") return {nullptr, [](const std::vector<torch::Tensor>& x) { return x[0]; }};
  if (op == "GlobalAveragePool")
    return {nullptr, [](const std::vector<torch::Tensor>& x) { return x[0].mean({2, 3}, /*keepdim=*/true); }};
  if (op == "Clip") {
    const double lo = n.attr("min").at(0), hi = n.attr("max").at(0);
    return {nullptr, [lo, hi](const std::vector<torch::Tensor>& x) { return torch::clamp(x[0], lo, hi); }};
  }
  if (op == "Pad") {
    const auto tp = torch_pads(n.ints("pads"));
    const double value = n.attr("value").at(0);
    return {nullptr, [tp, value](const std::vector<torch::Tensor>& x) { return torch::constant_pad_nd(x[0], tp, value); }};
  }
  if (op == "Concat") {
    const int64_t axis = n.int_attr("axis");
    return {nullptr, [axis](const std::vector<torch::Tensor>& x) { return torch::cat(x, axis); }};
  }
  if (op == "Add" || op == "Mul") {
    const bool add = op == "Add";
    std::shared_ptr<ConstantImpl> constant;
    if (n.attrs.count("const")) constant = std::make_shared<ConstantImpl>(n.ints("const"));
    return {constant, [add, constant](const std::vector<torch::Tensor>& x) {
              const auto& b = constant ? constant->value : x[1];
              return add ? x[0] + b : x[0] * b;
            }};
  }
  if (op == "MaxPool" || op == "AveragePool") {
    const auto k = n.ints("kernel");
    const auto s = n.ints("stride");
    const auto pads = n.ints("pads");
    const bool ceil = n.int_attr("ceil") != 0;
    // libtorch pads symmetrically by at most half the kernel; other pads are applied explicitly first.
    const bool native_pads = symmetric(pads) && pads[0] * 2 <= k[0] && pads[1] * 2 <= k[1];
    const std::vector<int64_t> p = native_pads ? std::vector<int64_t>{pads[0], pads[1]} : std::vector<int64_t>{0, 0};
    const auto tp = torch_pads(pads);
    const bool padded = !native_pads && any(pads);
    if (op == "MaxPool") {
      const auto d = n.ints("dilation");
      return {nullptr, [=](const std::vector<torch::Tensor>& x) {
                const auto in = padded ? torch::constant_pad_nd(x[0], tp, -std::numeric_limits<double>::infinity()) : x[0];
                return torch::max_pool2d(in, k, s, p, d, ceil);
              }};
    }
    const bool include_pad = n.int_attr("include_pad") != 0;
    return {nullptr, [=](const std::vector<torch::Tensor>& x) {
              if (!padded) return torch::avg_pool2d(x[0], k, s, p, ceil, include_pad);
              const auto sum = torch::avg_pool2d(torch::constant_pad_nd(x[0], tp, 0), k, s, {0, 0}, ceil, true);
              if (include_pad) return sum;
              // Excluding the padding: the same window average over ones counts the real pixels of each window.
              const auto ones = torch::ones({1, 1, x[0].size(2), x[0].size(3)}, x[0].options());
              return sum / torch::avg_pool2d(torch::constant_pad_nd(ones, tp, 0), k, s, {0, 0}, ceil, true);
            }};
  }
  throw std::invalid_argument("graph node " + n.module + ": operator " + op + " is not supported by the engine");
}

// A backbone built from a graph: one registered module per node with tensors, named MODULE in graph.txt, and the
// stages graph.txt lists (each cut where a single value is live, so a frozen prefix can be cached).
struct GraphNet : Net {
  struct Step {
    int out;
    std::vector<int> in;
    Op run;
  };
  struct StagePlan {
    int input, output;
    std::vector<std::shared_ptr<nn::Module>> modules;
    std::vector<Step> steps;
  };

  std::shared_ptr<const GraphSpec> spec;
  std::unordered_map<std::string, int> group_of_module;
  std::vector<StagePlan> plans;

  GraphNet(std::shared_ptr<const GraphSpec> graph, int num_classes) : spec(std::move(graph)) {
    for (const auto& stage : spec->stages) {
      StagePlan plan{stage.input, stage.output, {}, {}};
      std::vector<bool> known(static_cast<size_t>(spec->values), false);
      known.at(static_cast<size_t>(stage.input)) = true;
      for (const auto& node : stage.nodes) {
        for (int v : node.in)
          if (v < 0 || v >= spec->values || !known[static_cast<size_t>(v)])
            throw std::invalid_argument("graph node " + node.module + " reads value " + std::to_string(v) +
                                        ", which its stage neither receives nor computes");
        if (node.group < 0 || node.group >= spec->groups)
          throw std::invalid_argument("graph node " + node.module + " has group " + std::to_string(node.group));
        auto [module, run] = build_node(node);
        if (module) {
          register_module(node.module, module);
          group_of_module[node.module] = node.group;
          plan.modules.push_back(module);
        }
        known.at(static_cast<size_t>(node.out)) = true;
        plan.steps.push_back({node.out, node.in, std::move(run)});
      }
      if (!known.at(static_cast<size_t>(stage.output)))
        throw std::invalid_argument("a stage of the graph does not compute its output value " + std::to_string(stage.output));
      plans.push_back(std::move(plan));
    }
    feature_dim = spec->feature_dim;
    head = register_module("head", nn::Linear(feature_dim, num_classes));
    init_weights(*this);
  }

  int group_count() const override { return spec->groups; }

  int group_of(const std::string& name) const override {
    auto it = group_of_module.find(name.substr(0, name.find('.')));
    if (it == group_of_module.end()) throw std::logic_error("tensor '" + name + "' is not part of the backbone");
    return it->second;
  }

 protected:
  std::vector<Stage> build_stages() override {
    std::vector<Stage> out;
    const int values = spec->values;
    for (const auto& plan : plans) {
      const StagePlan* p = &plan;
      out.push_back({plan.modules, [p, values](const torch::Tensor& x) {
                       std::vector<torch::Tensor> env(static_cast<size_t>(values));
                       env[static_cast<size_t>(p->input)] = x;
                       std::vector<torch::Tensor> args;
                       for (const auto& step : p->steps) {
                         args.clear();
                         for (int v : step.in) args.push_back(env[static_cast<size_t>(v)]);
                         env[static_cast<size_t>(step.out)] = step.run(args);
                       }
                       return env[static_cast<size_t>(p->output)];
                     }});
    }
    return out;
  }
};

// Copies every backbone tensor of `net` from `tensors`, checking names and shapes both ways.
void load_graph_weights(GraphNet& net, const NamedTensors& tensors, const std::string& path) {
  std::map<std::string, torch::Tensor> targets;
  for (auto& p : net.named_parameters(true))
    if (p.key().rfind("head.", 0) != 0) targets[p.key()] = p.value();
  for (auto& b : net.named_buffers(true))
    if (b.key().rfind("head.", 0) != 0 && b.key().find("num_batches_tracked") == std::string::npos) targets[b.key()] = b.value();
  torch::NoGradGuard no_grad;
  size_t loaded = 0;
  for (const auto& [name, t] : tensors) {
    auto it = targets.find(name);
    if (it == targets.end()) throw std::invalid_argument("'" + path + "': tensor '" + name + "' belongs to no graph node");
    if (it->second.sizes() != t.sizes())
      throw std::invalid_argument("'" + path + "': tensor '" + name + "' has shape " + c10::str(t.sizes()) +
                                  ", the graph expects " + c10::str(it->second.sizes()));
    it->second.copy_(t);
    ++loaded;
  }
  if (loaded != targets.size())
    throw std::invalid_argument("'" + path + "' holds " + std::to_string(loaded) + " of the graph's " +
                                std::to_string(targets.size()) + " tensors");
}

}  // namespace

void register_graph_architecture(const std::string& name, const std::string& model_dir) {
  auto spec = std::make_shared<const GraphSpec>(read_graph(model_dir + "/graph.txt"));
  const std::string weights_path = model_dir + "/weights.bin";
  auto tensors = std::make_shared<const NamedTensors>(read_raw_tensor_file(weights_path));
  auto make = [spec, tensors, weights_path](int num_classes) {
    auto net = std::make_shared<GraphNet>(spec, num_classes);
    load_graph_weights(*net, *tensors, weights_path);
    return std::shared_ptr<Net>(net);
  };
  make(2);  // every tensor present with its shape, every node buildable: refused now rather than in a trial
  register_runtime_architecture({name, spec->groups, make, spec->input, {}});
}

}  // namespace ote
