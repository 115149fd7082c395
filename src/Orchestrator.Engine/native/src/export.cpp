#include "export.h"

#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <unordered_map>


namespace ote {
namespace {

using torch::jit::Node;
using torch::jit::Value;

// Numbers in the export text: integers as they are, floats to the last bit ("inf" and "-inf" as strtod reads them).
std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream s;
  s.precision(std::numeric_limits<double>::max_digits10);
  s << v;
  return s.str();
}

// Writes the traced graph's aten operators as ONNX operators. Values are numbered: 0 the network input, then every
// initializer and every computed value as first met.
class OnnxWriter {
 public:
  OnnxWriter(const std::vector<std::string>& input_names) : input_names_(input_names) {}

  void write(torch::jit::Graph& graph, int input_size) {
    out_ << "ote-export 1\ninput 0 3 " << input_size << " " << input_size << "\n";
    ids_[graph.inputs()[0]] = 0;
    for (Node* n : graph.nodes()) convert(n);
    out_ << "output " << value(graph.outputs()[0]) << "\n";
  }

  ExportedGraph result() { return {out_.str(), std::move(tensors_)}; }

 private:
  const std::vector<std::string>& input_names_;  // graph input i + 1 is tensor input_names_[i]
  std::ostringstream out_;
  NamedTensors tensors_;
  std::unordered_map<const Value*, int> ids_;
  int next_ = 1;

  int fresh() { return next_++; }

  int initializer(const std::string& name, torch::Tensor t) {
    const int id = fresh();
    tensors_.emplace_back(name, t.defined() ? t.detach().to(torch::kCPU).contiguous() : t);
    out_ << "initializer " << id << " " << name << "\n";
    return id;
  }

  int constant(torch::Tensor t) { return initializer("constant_" + std::to_string(tensors_.size()), std::move(t)); }
  int scalar(double v) { return constant(torch::tensor(static_cast<float>(v))); }
  int int64s(const std::vector<int64_t>& v) { return constant(torch::tensor(v, torch::kInt64)); }

  // The id of a tensor value: computed, a parameter or buffer (a graph input), or a constant of the trace.
  int value(const Value* v) {
    if (auto it = ids_.find(v); it != ids_.end()) return it->second;
    int id;
    if (v->node()->kind() == c10::prim::Param) {
      const size_t i = v->offset();
      if (i == 0 || i > input_names_.size()) throw std::logic_error("traced graph input " + std::to_string(i) + " is unknown");
      id = initializer(input_names_[i - 1], torch::Tensor());  // filled in by the caller's tensor list
    } else if (auto c = torch::jit::toIValue(v)) {
      if (c->isTensor()) id = constant(c->toTensor());
      else if (c->isDouble() || c->isInt()) id = scalar(c->toScalar().toDouble());
      else throw std::invalid_argument("cannot export a constant of type " + c->tagKind());
    } else {
      throw std::logic_error("traced value '" + v->debugName() + "' is used before it is computed");
    }
    ids_[v] = id;
    return id;
  }

  static c10::IValue constant_of(const Value* v, const Node* n) {
    if (auto c = torch::jit::toIValue(v)) return *c;
    throw std::invalid_argument(std::string("cannot export ") + n->kind().toQualString() +
                                ": an argument that is not a constant of the trace");
  }
  static std::vector<int64_t> ints(const Value* v, const Node* n) { return constant_of(v, n).toIntVector(); }
  static int64_t integer(const Value* v, const Node* n) { return constant_of(v, n).toInt(); }
  static double real(const Value* v, const Node* n) { return constant_of(v, n).toScalar().toDouble(); }
  static bool flag(const Value* v, const Node* n) { return constant_of(v, n).toBool(); }
  static bool is_none(const Value* v) { return v->type()->kind() == c10::TypeKind::NoneType; }

  static std::string list(const std::vector<int64_t>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s;
  }
  // ONNX pads of a 2-D window: begin of both axes, then end of both.
  static std::vector<int64_t> pads2d(const std::vector<int64_t>& p) {
    const auto h = p.at(0), w = p.size() > 1 ? p[1] : p[0];
    return {h, w, h, w};
  }
  static std::vector<int64_t> pair(const std::vector<int64_t>& p) { return p.size() == 1 ? std::vector<int64_t>{p[0], p[0]} : p; }

  // `node OP OUT IN,IN... attrs`; an input id -1 is an omitted optional input.
  void emit(const std::string& op, int out, const std::vector<int>& in, const std::string& attrs = "") {
    out_ << "node " << op << " " << out << " ";
    for (size_t i = 0; i < in.size(); ++i) out_ << (i ? "," : "") << in[i];
    out_ << attrs << "\n";
  }
  int emit_new(const std::string& op, const std::vector<int>& in, const std::string& attrs = "") {
    const int out = fresh();
    emit(op, out, in, attrs);
    return out;
  }
  void computed(const Node* n, int id) { ids_[n->output(0)] = id; }

  void convert(Node* n) {
    const std::string kind = n->kind().toQualString();
    const auto in = n->inputs();
    if (kind == "prim::Constant" || kind == "prim::ListConstruct") return;  // read where used
    if (kind == "aten::conv2d" || kind == "aten::_convolution" || kind == "aten::convolution") {
      const bool conv2d = kind == "aten::conv2d";
      if (!conv2d && flag(in[6], n)) throw std::invalid_argument("cannot export a transposed convolution");
      const Value* weight = in[1];
      std::vector<int> args{value(in[0]), value(weight)};
      if (!is_none(in[2])) args.push_back(value(in[2]));
      const auto k = weight->type()->expect<c10::TensorType>()->sizes().concrete_sizes();
      std::ostringstream a;
      a << " kernel_shape:ints=" << (k ? list({(*k)[2], (*k)[3]}) : "") << " strides:ints=" << list(pair(ints(in[3], n)))
        << " pads:ints=" << list(pads2d(ints(in[4], n))) << " dilations:ints=" << list(pair(ints(in[5], n)))
        << " group:int=" << integer(in[conv2d ? 6 : 8], n);
      if (!k) throw std::logic_error("the traced convolution weight has no concrete shape");
      computed(n, emit_new("Conv", args, a.str()));
    } else if (kind == "aten::batch_norm") {
      if (flag(in[5], n)) throw std::invalid_argument("cannot export a BatchNorm in training mode");
      computed(n, emit_new("BatchNormalization", {value(in[0]), value(in[1]), value(in[2]), value(in[3]), value(in[4])},
                           " epsilon:float=" + number(real(in[7], n))));
    } else if (kind == "aten::relu" || kind == "aten::relu_") {
      computed(n, emit_new("Relu", {value(in[0])}));
    } else if (kind == "aten::sigmoid" || kind == "aten::sigmoid_") {
      computed(n, emit_new("Sigmoid", {value(in[0])}));
    } else if (kind == "aten::silu" || kind == "aten::silu_") {
      const int x = value(in[0]);
      computed(n, emit_new("Mul", {x, emit_new("Sigmoid", {x})}));
    } else if (kind == "aten::hardtanh" || kind == "aten::hardtanh_" || kind == "aten::clamp" || kind == "aten::clamp_") {
      auto bound = [&](const Value* v) { return is_none(v) ? -1 : scalar(real(v, n)); };
      computed(n, emit_new("Clip", {value(in[0]), bound(in[1]), bound(in[2])}));
    } else if (kind == "aten::add" || kind == "aten::add_" || kind == "aten::sub" || kind == "aten::sub_") {
      if (in.size() > 2 && real(in[2], n) != 1.0) throw std::invalid_argument("cannot export " + kind + " with alpha != 1");
      computed(n, emit_new(kind.rfind("aten::add", 0) == 0 ? "Add" : "Sub", {value(in[0]), value(in[1])}));
    } else if (kind == "aten::mul" || kind == "aten::mul_" || kind == "aten::div" || kind == "aten::div_") {
      if (in.size() > 2) throw std::invalid_argument("cannot export " + kind + " with a rounding mode");
      computed(n, emit_new(kind.rfind("aten::mul", 0) == 0 ? "Mul" : "Div", {value(in[0]), value(in[1])}));
    } else if (kind == "aten::cat") {
      const Node* items = in[0]->node();
      if (items->kind() != c10::prim::ListConstruct) throw std::invalid_argument("cannot export aten::cat of a list it cannot see");
      std::vector<int> args;
      for (const Value* v : items->inputs()) args.push_back(value(v));
      computed(n, emit_new("Concat", args, " axis:int=" + std::to_string(integer(in[1], n))));
    } else if (kind == "aten::max_pool2d") {
      const auto k = pair(ints(in[1], n));
      const auto s = ints(in[2], n);
      std::ostringstream a;
      a << " kernel_shape:ints=" << list(k) << " strides:ints=" << list(s.empty() ? k : pair(s))
        << " pads:ints=" << list(pads2d(ints(in[3], n))) << " dilations:ints=" << list(pair(ints(in[4], n)))
        << " ceil_mode:int=" << (flag(in[5], n) ? 1 : 0);
      computed(n, emit_new("MaxPool", {value(in[0])}, a.str()));
    } else if (kind == "aten::avg_pool2d") {
      if (!is_none(in[6])) throw std::invalid_argument("cannot export an average pool with a divisor override");
      const auto k = pair(ints(in[1], n));
      const auto s = ints(in[2], n);
      std::ostringstream a;
      a << " kernel_shape:ints=" << list(k) << " strides:ints=" << list(s.empty() ? k : pair(s))
        << " pads:ints=" << list(pads2d(ints(in[3], n))) << " ceil_mode:int=" << (flag(in[4], n) ? 1 : 0)
        << " count_include_pad:int=" << (flag(in[5], n) ? 1 : 0);
      computed(n, emit_new("AveragePool", {value(in[0])}, a.str()));
    } else if (kind == "aten::adaptive_avg_pool2d") {
      if (pair(ints(in[1], n)) != std::vector<int64_t>{1, 1})
        throw std::invalid_argument("cannot export an adaptive average pool to other than 1x1");
      computed(n, emit_new("GlobalAveragePool", {value(in[0])}));
    } else if (kind == "aten::mean") {
      computed(n, emit_new("ReduceMean", {value(in[0])},
                           " axes:ints=" + list(ints(in[1], n)) + " keepdims:int=" + (flag(in[2], n) ? "1" : "0")));
    } else if (kind == "aten::flatten") {
      if (integer(in[2], n) != -1) throw std::invalid_argument("cannot export a flatten that keeps trailing axes");
      computed(n, emit_new("Flatten", {value(in[0])}, " axis:int=" + std::to_string(integer(in[1], n))));
    } else if (kind == "aten::relu6") {
      computed(n, emit_new("Clip", {value(in[0]), scalar(0), scalar(6)}));
    } else if (kind == "aten::t") {
      computed(n, emit_new("Transpose", {value(in[0])}, " perm:ints=1,0"));
    } else if (kind == "aten::addmm") {
      // beta * bias + alpha * (a @ b): Linear as the tracer decomposes it.
      if (real(in[3], n) != 1.0 || real(in[4], n) != 1.0) throw std::invalid_argument("cannot export aten::addmm with alpha or beta != 1");
      computed(n, emit_new("Gemm", {value(in[1]), value(in[2]), value(in[0])}));
    } else if (kind == "aten::matmul") {
      computed(n, emit_new("MatMul", {value(in[0]), value(in[1])}));
    } else if (kind == "aten::linear") {
      std::vector<int> args{value(in[0]), value(in[1])};
      if (!is_none(in[2])) args.push_back(value(in[2]));
      computed(n, emit_new("Gemm", args, " transB:int=1"));
    } else if (kind == "aten::constant_pad_nd") {
      // torch: (left, right) of the last axis, then (top, bottom) of the one before; ONNX: every axis' begins, then ends.
      const auto p = ints(in[1], n);
      if (p.size() != 4) throw std::invalid_argument("cannot export a padding of other than the two spatial axes");
      computed(n, emit_new("Pad", {value(in[0]), int64s({0, 0, p[2], p[0], 0, 0, p[3], p[1]}), scalar(real(in[2], n))}));
    } else if (kind == "aten::view" || kind == "aten::reshape") {
      computed(n, emit_new("Reshape", {value(in[0]), int64s(ints(in[1], n))}));
    } else if (kind == "aten::dropout" || kind == "aten::dropout_" || kind == "aten::feature_dropout" ||
               kind == "aten::contiguous" || kind == "aten::clone" || kind == "aten::detach") {
      if ((kind.find("dropout") != std::string::npos) && flag(in[2], n))
        throw std::invalid_argument("cannot export a dropout in training mode");
      computed(n, value(in[0]));  // the identity in eval mode
    } else {
      throw std::invalid_argument("cannot export operator " + kind + " (not among those the ONNX export knows)");
    }
  }
};

}  // namespace

ExportedGraph export_graph(Net& net, int input_size) {
  if (input_size < 1) throw std::invalid_argument("input size must be positive");
  net.eval();
  torch::NoGradGuard no_grad;
  std::vector<std::string> names;
  std::vector<torch::Tensor> values;
  for (const auto& p : net.named_parameters(true)) names.push_back(p.key()), values.push_back(p.value());
  for (const auto& b : net.named_buffers(true)) names.push_back(b.key()), values.push_back(b.value());
  const auto device = values.empty() ? torch::Device(torch::kCPU) : values.front().device();
  torch::jit::Stack inputs{torch::zeros({1, 3, input_size, input_size}, torch::TensorOptions().device(device))};
  for (const auto& v : values) inputs.emplace_back(v);
  auto traced = torch::jit::tracer::trace(
      inputs, [&net](torch::jit::Stack in) { return torch::jit::Stack{net.forward(in.at(0).toTensor())}; },
      [](const torch::autograd::Variable&) { return std::string(); }, /*strict=*/false);
  auto graph = traced.first->graph;
  // Complete tensor types (shapes) on every input, the convolution weights' kernel sizes among them.
  for (size_t i = 0; i < values.size(); ++i) graph->inputs()[i + 1]->inferTypeFrom(values[i]);
  torch::jit::ConstantPropagation(graph);
  torch::jit::EliminateDeadCode(graph);

  OnnxWriter writer(names);
  writer.write(*graph, input_size);
  auto out = writer.result();
  // Parameters and buffers were named as met; their tensors are the net's own.
  std::map<std::string, torch::Tensor> by_name;
  for (size_t i = 0; i < names.size(); ++i) by_name[names[i]] = values[i];
  for (auto& [name, tensor] : out.tensors)
    if (!tensor.defined()) tensor = by_name.at(name).detach().to(torch::kCPU).contiguous();
  return out;
}

}  // namespace ote
