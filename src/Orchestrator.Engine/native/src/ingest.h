#pragma once
// Decoding of one source image for `data ingest` (OpenCV; DICOM with DCMTK): gray, 8 bits, resized to the stored size.
#include <cstddef>
#include <cstdint>

namespace ote::ingest {

// Outcome of one decode; everything but Ok is a quality-control rejection, not an error.
enum class ImageStatus : int32_t {
  Ok = 0,
  Empty = 1,        // zero bytes
  NotAnImage = 2,   // no PNG, JPEG or DICOM signature
  Truncated = 3,    // the container's end marker (PNG IEND, JPEG EOI) is missing
  Unreadable = 4,   // recognised, but the decoder failed
  Constant = 5,     // every pixel has the same value
  Unsupported = 6,  // DICOM this build cannot decode: compressed, colour, or more than 16 bits
};

// How images with more than 8 bits per pixel become 8 bits; 8-bit images are never rescaled.
enum class Intensity : int32_t {
  MinMax = 0,      // [min, max] of the image -> [0, 255]
  Percentile = 1,  // [0.5th, 99.5th percentile] -> [0, 255], outside clipped (robust to a few hot pixels)
};

struct DecodeInfo {
  ImageStatus status = ImageStatus::Ok;
  int32_t width = 0, height = 0, bits = 0, channels = 0;  // of the source image, when it could be decoded
};

// Decodes `data` and, when the result is Ok, writes size x size uint8 pixels (row-major) to `out`.
DecodeInfo decode_gray8(const uint8_t* data, size_t length, int size, Intensity intensity, uint8_t* out);

// Linear map of [lo, hi] to [0, 255] with round-half-up in exact integer arithmetic, clipped outside.
inline uint8_t rescale(int64_t v, int64_t lo, int64_t hi) {
  if (v <= lo) return 0;
  if (v >= hi) return 255;
  const int64_t range = hi - lo;
  return static_cast<uint8_t>(((v - lo) * 510 + range) / (2 * range));
}

}  // namespace ote::ingest
