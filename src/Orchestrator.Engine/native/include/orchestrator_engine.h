/* C ABI of the orchestrator's native training engine.
 * Every function returns an ote_status; on OTE_ERROR the message is available from
 * ote_last_error() on the same thread until the next failing call. */
#ifndef ORCHESTRATOR_ENGINE_H
#define ORCHESTRATOR_ENGINE_H

#include <stdint.h>

#if defined(__GNUC__)
#define OTE_API __attribute__((visibility("default")))
#else
#define OTE_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* OTE_INVALID_INPUT: the arguments or input files were refused (std::invalid_argument inside); nothing changed. */
enum { OTE_OK = 0, OTE_ERROR = 1, OTE_CANCELLED = 2, OTE_INVALID_INPUT = 3 };
enum { OTE_OPTIMIZER_ADAM = 0, OTE_OPTIMIZER_SGD = 1 };

typedef struct ote_dataset ote_dataset;
typedef struct ote_trainer ote_trainer;

/* Called after every batch: batches done, batches in the pass, running mean loss. */
typedef void (*ote_progress_fn)(int32_t batches_done, int32_t batches_total, double running_loss, void* user);

OTE_API const char* ote_last_error(void);
OTE_API int32_t ote_set_num_threads(int32_t threads);
OTE_API int32_t ote_group_count(const char* arch, int32_t* out_groups);

OTE_API int32_t ote_dataset_open(const char* images_path, int64_t count, int32_t height, int32_t width,
                                 const int32_t* labels, ote_dataset** out);
OTE_API void ote_dataset_free(ote_dataset* dataset);

/* device: "cpu", "cuda" or "cuda:N" (null: cpu); OTE_INVALID_INPUT, saying why, for one this build or machine lacks. */
OTE_API int32_t ote_trainer_create(const char* arch, int32_t num_classes, int32_t input_size, int32_t optimizer,
                                   double lr, uint64_t seed, const char* device, ote_trainer** out);
OTE_API void ote_trainer_free(ote_trainer* trainer);
OTE_API int32_t ote_trainer_group_count(ote_trainer* trainer, int32_t* out_groups);
OTE_API int32_t ote_trainer_set_trainable(ote_trainer* trainer, int32_t unfrozen_groups);
OTE_API int32_t ote_trainer_set_lr(ote_trainer* trainer, double lr);
OTE_API int32_t ote_trainer_get_lr(ote_trainer* trainer, double* out_lr);
OTE_API int32_t ote_trainer_reset_optimizer(ote_trainer* trainer);
/* Exactly groups[0..count) (indices, 0 = shallowest, any order) and the head trainable, the head at lr and group i at
   lr / discriminative^(d - i), d the deepest of them; the optimizer state is kept unless the rate layout changes
   (discriminative 1 and not 1). */
OTE_API int32_t ote_trainer_set_trainable_groups(ote_trainer* trainer, const int32_t* groups, int32_t count, double lr,
                                                 double discriminative);
/* Nonzero: BatchNorm layers of trainable groups update their running statistics while training. */
OTE_API int32_t ote_trainer_set_batchnorm_updates(ote_trainer* trainer, int32_t update);

/* The engine and its devices. device_count is 0 without CUDA; names come from a CUDA build only. */
typedef struct {
  char libtorch_version[32];
  int32_t cuda_built;     /* compiled against a libtorch with CUDA */
  int32_t cuda_available; /* a driver and at least one GPU are visible */
  int32_t device_count;
} ote_engine_info_t;
OTE_API int32_t ote_engine_info(ote_engine_info_t* out);
/* The name of CUDA device `index`, NUL-terminated and cut to capacity bytes; "" when the build cannot tell. */
OTE_API int32_t ote_device_name(int32_t index, char* out, int32_t capacity);
/* OTE_OK when a trainer could be created on `device`; otherwise OTE_INVALID_INPUT and the reason. */
OTE_API int32_t ote_check_device(const char* device);

/* The process's CPU tensor allocator (installed when this library loads): freed blocks are kept by size and reused,
 * up to idle_limit bytes (default: a quarter of physical memory). */
typedef struct {
  int64_t reused;     /* allocations served from a kept block */
  int64_t fresh;      /* allocations that went to the system */
  int64_t idle_bytes; /* kept blocks not in use now */
  int64_t idle_limit;
} ote_cpu_allocator_stats_t;
OTE_API int32_t ote_cpu_allocator_stats(ote_cpu_allocator_stats_t* out);
/* Lowering the limit frees kept blocks beyond it at once; 0 keeps nothing. */
OTE_API int32_t ote_set_cpu_allocator_idle_limit(int64_t bytes);

/* Frozen-prefix feature cache: the output of the frozen groups for every image that is not augmented is computed once
 * and reused while the frozen groups stay as they are; memory_bytes in memory, then in an unlinked file under
 * spill_dir (null or "": memory only). enabled 0: every batch runs the whole network (the prefix still without an
 * autograd graph). */
OTE_API int32_t ote_trainer_set_feature_cache(ote_trainer* trainer, int32_t enabled, int64_t memory_bytes,
                                              const char* spill_dir);
/* Images served from the cache and images run through the frozen prefix since the last call (then reset). */
OTE_API int32_t ote_trainer_take_cache_counters(ote_trainer* trainer, int64_t* out_hits, int64_t* out_misses);
/* Diagnostic: the stage where the trainable part begins (0: none frozen; stages + 1: the whole backbone and its pooling
 * frozen) and the number of stages. */
OTE_API int32_t ote_trainer_split(ote_trainer* trainer, int32_t* out_split, int32_t* out_stages);

OTE_API int32_t ote_trainer_train_epoch(ote_trainer* trainer, ote_dataset* dataset, const int32_t* order, int64_t n,
                                        const float* class_weights, int32_t num_weights, int32_t batch_size,
                                        ote_progress_fn progress, void* user, const volatile int32_t* cancel_flag,
                                        double* out_mean_loss);
/* predictions_out: n entries (may be null); probs_out: n * num_classes entries (may be null). */
OTE_API int32_t ote_trainer_evaluate(ote_trainer* trainer, ote_dataset* dataset, const int32_t* indices, int64_t n,
                                     const float* class_weights, int32_t num_weights, int32_t batch_size,
                                     ote_progress_fn progress, void* user, const volatile int32_t* cancel_flag,
                                     double* out_loss, int32_t* predictions_out, float* probs_out);

/* Running statistics of every BatchNorm layer estimated from these images (for models without pretrained weights). */
OTE_API int32_t ote_trainer_calibrate_batchnorm(ote_trainer* trainer, ote_dataset* dataset, const int32_t* indices,
                                                int64_t n, int32_t batch_size, ote_progress_fn progress, void* user,
                                                const volatile int32_t* cancel_flag);

OTE_API int32_t ote_trainer_remember_best(ote_trainer* trainer);
OTE_API int32_t ote_trainer_restore_best(ote_trainer* trainer);

OTE_API int32_t ote_trainer_save_checkpoint(ote_trainer* trainer, const char* path, int32_t epoch);
OTE_API int32_t ote_trainer_load_checkpoint(ote_trainer* trainer, const char* path, int32_t* out_epoch);
OTE_API int32_t ote_trainer_save_best(ote_trainer* trainer, const char* path);
OTE_API int32_t ote_trainer_load_best(ote_trainer* trainer, const char* path);
/* The bytes ote_trainer_save_checkpoint / ote_trainer_save_best would write, taken now, without writing a file: the
 * caller copies them out, writes them later (while the next epoch trains) and frees them with ote_bytes_free. */
typedef struct ote_bytes ote_bytes;
OTE_API int32_t ote_trainer_capture_checkpoint(ote_trainer* trainer, int32_t epoch, ote_bytes** out_bytes);
OTE_API int32_t ote_trainer_capture_best(ote_trainer* trainer, ote_bytes** out_bytes);
OTE_API const uint8_t* ote_bytes_data(const ote_bytes* bytes);
OTE_API int64_t ote_bytes_size(const ote_bytes* bytes);
OTE_API void ote_bytes_free(ote_bytes* bytes);

/* Loads backbone tensors from the engine's raw tensor file (format in native/README.md); strict: every backbone
 * parameter and running statistic must be present with its shape, and every entry must name one. */
OTE_API int32_t ote_trainer_load_backbone(ote_trainer* trainer, const char* path, int32_t* out_loaded);
/* Eval-mode backbone + global average pooling on an already normalized NCHW float input. */
OTE_API int32_t ote_trainer_feature_dim(ote_trainer* trainer, int32_t* out_dim);
OTE_API int32_t ote_trainer_features(ote_trainer* trainer, const float* input, int32_t n, int32_t c, int32_t h,
                                     int32_t w, float* out);
/* Diagnostics: group in [0, L) is a backbone group, L is the head. */
OTE_API int32_t ote_trainer_param_checksum(ote_trainer* trainer, int32_t group, double* out);
OTE_API int32_t ote_trainer_bn_stats_checksum(ote_trainer* trainer, int32_t group, double* out);
OTE_API int32_t ote_trainer_trainable_count(ote_trainer* trainer, int64_t* out_params);

/* Architectures (c_api_model.cpp): names in sorted order, and what each expects of its input. */
typedef struct {
  int32_t groups;
  int32_t default_size; /* input side length the pretrained weights were trained at */
  int32_t min_size;     /* smallest input side the backbone accepts */
  int32_t has_reference_classifier; /* the reference (torchvision/timm) has an ImageNet classifier to import */
  float mean[3];        /* per-channel normalization the pretrained weights expect */
  float std[3];
} ote_architecture_info_t;
OTE_API int32_t ote_architecture_count(int32_t* out_count);
/* *out_name stays valid for the life of the process. */
OTE_API int32_t ote_architecture_name(int32_t index, const char** out_name);
OTE_API int32_t ote_architecture_info(const char* arch, ote_architecture_info_t* out);

/* Backbone weights of one architecture, read from an imported weights file (checked to be for arch) or from a flat
 * PyTorch state dict saved with torch.save (checked key by key and shape by shape; OTE_INVALID_INPUT with the
 * missing and unexpected names on a mismatch). The reference's ImageNet classifier, when present, is kept apart. */
typedef struct ote_weights ote_weights;
typedef struct {
  int32_t backbone_tensors;
  int32_t classifier_tensors;
  int32_t ignored_tensors; /* dropped on purpose, e.g. inception_v3's AuxLogits */
  int32_t from_state_dict;
  int64_t classes;         /* outputs of the ImageNet classifier; 0 without one */
} ote_weights_summary_t;
OTE_API int32_t ote_weights_open(const char* arch, const char* path, ote_weights** out);
OTE_API void ote_weights_free(ote_weights* weights);
OTE_API int32_t ote_weights_summary(ote_weights* weights, ote_weights_summary_t* out);
/* Atomic (temp file, fsync, rename); torch.load reads it: {format, version, arch, backbone, classifier}. */
OTE_API int32_t ote_weights_save(ote_weights* weights, const char* path);
/* input_path: torch.save({"input": x}) with x float N x 3 x H x W, already normalized. Writes
 * {"features": N x D, "logits": N x classes (with a classifier)} atomically to output_path. */
OTE_API int32_t ote_weights_forward(ote_weights* weights, const char* input_path, const char* output_path,
                                    int64_t* out_n);

/* Export for deployment (c_api_export.cpp, docs/onnx.md). The trainer's eval-mode forward (normalized N x 3 x S x S
 * input, S its input size -> N x classes logits) as ONNX operators: out_graph the text of native/README.md
 * ("Export"), out_tensors the initializers it names as a raw tensor file; both freed with ote_bytes_free. */
OTE_API int32_t ote_trainer_export_graph(ote_trainer* trainer, ote_bytes** out_graph, ote_bytes** out_tensors);
/* Why torchvision has no exact counterpart of arch at input side input_size (NUL-terminated, cut to capacity bytes);
 * "" when it has one. xception has one in timm (legacy_xception), whose names its state dict carries. */
OTE_API int32_t ote_torchvision_refusal(const char* arch, int32_t input_size, char* out, int32_t capacity);
/* Takes the next size bytes of a file being written; returns 0 to go on, anything else to stop the export. */
typedef int32_t (*ote_write_fn)(const void* data, int64_t size, void* user);
/* Every tensor under torchvision's name (the head as torchvision's classifier, torchvision's layers the net lacks
 * set so that its eval forward is the net's): a dict as torch.save writes it (torch.load reads it), handed to write
 * as it is written. OTE_INVALID_INPUT where ote_torchvision_refusal refuses at the trainer's input size; an error
 * where write stops it. */
OTE_API int32_t ote_trainer_export_state_dict(ote_trainer* trainer, ote_write_fn write, void* user);
/* Eval-mode logits of the whole net on an already normalized NCHW float input: out holds n * classes floats. */
OTE_API int32_t ote_trainer_logits(ote_trainer* trainer, const float* input, int32_t n, int32_t c, int32_t h,
                                   int32_t w, float* out);

/* Graph backbones (c_api_graph.cpp): registers the CNN stored in model_dir (graph.txt + weights.bin, written by
 * `orchestrator model import --onnx`; format in native/README.md) as architecture `name`, replacing an earlier graph
 * of that name; the net is built once to check its tensors. OTE_INVALID_INPUT for a built-in name or a folder that
 * is not a graph backbone. Register before creating trainers of that architecture. */
OTE_API int32_t ote_graph_register(const char* name, const char* model_dir);

/* Images per second of the trainer's own passes on random data; peak_rss_kib is the process's VmHWM. */
typedef struct {
  double train_all_images_per_s;
  double train_head_images_per_s;
  double inference_images_per_s;
  int64_t peak_rss_kib;
} ote_bench_result_t;
OTE_API int32_t ote_bench_engine(const char* arch, int32_t size, int32_t batch, int32_t steps, int32_t warmup,
                                 ote_bench_result_t* out);

/* Whole epochs (training over `train` random images, 70% of them in two classes never augmented, then evaluation of
 * `val`) with `unfrozen` groups trainable and the feature cache on or off. trainable_out: the trainable backbone
 * tensors' names, one per line, NUL-terminated, cut to capacity bytes. */
typedef struct {
  double first_epoch_s;
  double later_epoch_s;
  int64_t hits, misses;
} ote_bench_epoch_t;
OTE_API int32_t ote_bench_epochs(const char* arch, int32_t size, int32_t batch, int32_t train, int32_t val,
                                 int32_t unfrozen, int32_t cache, int32_t epochs, ote_bench_epoch_t* out,
                                 char* trainable_out, int32_t capacity);

/* Ingest: decode one PNG (8 or 16 bit), JPEG or uncompressed grayscale DICOM held in memory to size x size gray uint8
 * (out: size * size bytes). A file that is empty, not an image, truncated, undecodable, unsupported or constant is not
 * an error: the call returns OTE_OK with info->status saying why nothing was written. 16-bit images, and DICOM
 * without a VOI window, are mapped to 8 bits by `intensity`. */
enum {
  OTE_IMAGE_OK = 0, OTE_IMAGE_EMPTY = 1, OTE_IMAGE_NOT_AN_IMAGE = 2, OTE_IMAGE_TRUNCATED = 3,
  OTE_IMAGE_UNREADABLE = 4, OTE_IMAGE_CONSTANT = 5, OTE_IMAGE_UNSUPPORTED = 6
};
enum { OTE_INTENSITY_MINMAX = 0, OTE_INTENSITY_PERCENTILE = 1 };
typedef struct ote_image_info {
  int32_t status;
  int32_t width, height, bits, channels; /* of the source, when it could be decoded */
} ote_image_info;
OTE_API int32_t ote_image_decode(const uint8_t* data, int64_t length, int32_t size, int32_t intensity, uint8_t* out,
                                 ote_image_info* info);

/* Training input pipeline (definitions in docs/engine.md, "Input pipeline"). normalization: OTE_NORM_*; zscore mean/std
 * of the training pixels in [0, 1] (OTE_NORM_ZSCORE only); augment_classes: num_classes flags, non-zero = augment
 * that class in training (num_classes 0: none). Augmentation draws are keyed by (seed, epoch, position, image). */
enum { OTE_NORM_BACKBONE = 0, OTE_NORM_SCALING = 1, OTE_NORM_ZSCORE = 2, OTE_NORM_ADAPTIVE = 3 };
OTE_API int32_t ote_trainer_set_input(ote_trainer* trainer, int32_t normalization, float zscore_mean, float zscore_std,
                                      const uint8_t* augment_classes, int32_t num_classes, uint64_t seed);
OTE_API int32_t ote_trainer_set_epoch(ote_trainer* trainer, int32_t epoch);
/* The network input for images `indices` as training (augment != 0, batch at first_position of the epoch) or
 * evaluation sees it: out holds n * 3 * input_size * input_size floats, NCHW. */
OTE_API int32_t ote_trainer_prepare_batch(ote_trainer* trainer, ote_dataset* dataset, const int32_t* indices, int64_t n,
                                          int32_t augment, int64_t first_position, float* out);
/* Mean and standard deviation of the pixels (in [0, 1]) of images `indices`. */
OTE_API int32_t ote_dataset_pixel_stats(ote_dataset* dataset, const int32_t* indices, int64_t n, double* out_mean,
                                        double* out_std);

#ifdef __cplusplus
}
#endif
#endif
