#pragma once
// Graph backbones: a CNN imported from ONNX (`orchestrator model import --onnx`), stored as graph.txt + weights.bin in
// a model folder (format in native/README.md, "Graph backbones") and registered as an architecture at run time.
#include <string>

namespace ote {

// Reads model_dir/graph.txt and model_dir/weights.bin, builds the net once to check that every tensor is there with
// its shape, and registers the architecture `name`. std::invalid_argument for a folder that is not a graph backbone.
void register_graph_architecture(const std::string& name, const std::string& model_dir);

}  // namespace ote
