#include "ingest.h"

#include "dicom.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <vector>

namespace ote::ingest {
namespace {

enum class Format { Unknown, Png, Jpeg, Dicom };

Format sniff(const uint8_t* d, size_t n) {
  static const uint8_t png[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (n >= 8 && std::memcmp(d, png, 8) == 0) return Format::Png;
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return Format::Jpeg;
  if (n >= 132 && std::memcmp(d + 128, "DICM", 4) == 0) return Format::Dicom;
  return Format::Unknown;
}

bool tail_contains(const uint8_t* d, size_t n, std::initializer_list<uint8_t> marker, size_t window) {
  const auto* end = d + n;
  const auto* begin = end - std::min(n, window);
  return std::search(begin, end, marker.begin(), marker.end()) != end;
}

// libpng and libjpeg both return partial images for a cut-off file (libjpeg pads it with gray and only warns),
// so a missing end marker is the reliable sign. A few bytes of trailing padding are tolerated.
bool complete(Format f, const uint8_t* d, size_t n) {
  if (f == Format::Png) return tail_contains(d, n, {'I', 'E', 'N', 'D'}, 64);
  if (f == Format::Jpeg) return tail_contains(d, n, {0xFF, 0xD9}, 64);
  return true;
}

cv::Mat to_gray(const cv::Mat& m) {
  if (m.channels() == 1) return m;
  cv::Mat gray;
  cv::cvtColor(m, gray, m.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  return gray;
}

// Bounds of the 16-bit window: exact min/max, or the 0.5th and 99.5th percentiles from a full histogram.
void window16(const cv::Mat& m, Intensity intensity, int64_t& lo, int64_t& hi) {
  double mn = 0, mx = 0;
  cv::minMaxLoc(m, &mn, &mx);
  lo = static_cast<int64_t>(mn);
  hi = static_cast<int64_t>(mx);
  if (intensity != Intensity::Percentile) return;
  std::vector<int64_t> hist(65536, 0);
  for (int r = 0; r < m.rows; ++r) {
    const auto* row = m.ptr<uint16_t>(r);
    for (int c = 0; c < m.cols; ++c) ++hist[row[c]];
  }
  const int64_t total = static_cast<int64_t>(m.total());
  const int64_t low_rank = total * 5 / 1000, high_rank = total - 1 - total * 5 / 1000;
  int64_t seen = 0, plo = -1, phi = -1;
  for (int v = 0; v < 65536 && phi < 0; ++v) {
    seen += hist[v];
    if (plo < 0 && seen > low_rank) plo = v;
    if (seen > high_rank) phi = v;
  }
  if (plo < phi) lo = plo, hi = phi;
}

// Area averaging to shrink, bilinear to enlarge, straight into the caller's size x size buffer.
void resize_into(const cv::Mat& gray8, int size, uint8_t* out) {
  cv::Mat target(size, size, CV_8U, out);
  if (gray8.cols == size && gray8.rows == size) {
    gray8.copyTo(target);
  } else {
    const bool shrinking = gray8.cols >= size && gray8.rows >= size;
    cv::resize(gray8, target, cv::Size(size, size), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  if (target.data != out) throw std::logic_error("resize reallocated the output buffer");
}

// DICOM: the file's first VOI window when it has one, else the image's [min, max] (or percentiles, as for 16-bit
// PNG); MONOCHROME1 is inverted so that dense is bright as in every other image.
DecodeInfo decode_dicom(const uint8_t* data, size_t length, int size, Intensity intensity, uint8_t* out) {
  DecodeInfo info;
  const DicomPixels d = read_dicom(data, length);
  switch (d.outcome) {
    case DicomPixels::Outcome::Ok: break;
    case DicomPixels::Outcome::Truncated: return info.status = ImageStatus::Truncated, info;
    case DicomPixels::Outcome::Unsupported: return info.status = ImageStatus::Unsupported, info;
    case DicomPixels::Outcome::Unreadable: return info.status = ImageStatus::Unreadable, info;
  }
  info.width = d.values.cols;
  info.height = d.values.rows;
  info.channels = 1;
  info.bits = d.bits;
  double mn = 0, mx = 0;
  cv::minMaxLoc(d.values, &mn, &mx);
  if (mn == mx) return info.status = ImageStatus::Constant, info;

  double center = d.center, width = d.width;
  if (!d.has_window) {
    double lo = mn, hi = mx;
    if (intensity == Intensity::Percentile) {
      cv::Mat sorted = d.values.reshape(1, 1).clone();
      cv::sort(sorted, sorted, cv::SORT_ASCENDING | cv::SORT_EVERY_ROW);
      const auto total = static_cast<int64_t>(sorted.total());
      const double plo = sorted.at<double>(0, static_cast<int>(total * 5 / 1000));
      const double phi = sorted.at<double>(0, static_cast<int>(total - 1 - total * 5 / 1000));
      if (plo < phi) lo = plo, hi = phi;
    }
    // The linear VOI window that maps lo to 0 and hi to 255.
    width = hi - lo + 1;
    center = lo + 0.5 + (width - 1) / 2;
  }
  cv::Mat gray8(d.values.rows, d.values.cols, CV_8U);
  const auto* src = d.values.ptr<double>();
  auto* dst = gray8.ptr<uint8_t>();
  for (size_t i = 0, n = d.values.total(); i < n; ++i) {
    const uint8_t y = dicom_window(src[i], center, width);
    dst[i] = d.inverted ? static_cast<uint8_t>(255 - y) : y;
  }
  resize_into(gray8, size, out);
  return info;
}

}  // namespace

DecodeInfo decode_gray8(const uint8_t* data, size_t length, int size, Intensity intensity, uint8_t* out) {
  if (size < 8) throw std::invalid_argument("stored size must be at least 8, got " + std::to_string(size));
  if (out == nullptr) throw std::invalid_argument("output buffer is null");
  DecodeInfo info;
  if (length == 0) return info.status = ImageStatus::Empty, info;
  if (data == nullptr) throw std::invalid_argument("image bytes are null");
  const Format format = sniff(data, length);
  if (format == Format::Unknown) return info.status = ImageStatus::NotAnImage, info;
  if (format == Format::Dicom) return decode_dicom(data, length, size, intensity, out);
  if (!complete(format, data, length)) return info.status = ImageStatus::Truncated, info;

  cv::Mat decoded;
  try {
    const cv::Mat buffer(1, static_cast<int>(length), CV_8U, const_cast<uint8_t*>(data));
    decoded = cv::imdecode(buffer, cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR | cv::IMREAD_IGNORE_ORIENTATION);
  } catch (const cv::Exception&) {
    decoded.release();
  }
  if (decoded.empty() || (decoded.depth() != CV_8U && decoded.depth() != CV_16U))
    return info.status = ImageStatus::Unreadable, info;
  info.width = decoded.cols;
  info.height = decoded.rows;
  info.channels = decoded.channels();
  info.bits = decoded.depth() == CV_8U ? 8 : 16;

  const cv::Mat gray = to_gray(decoded);
  double mn = 0, mx = 0;
  cv::minMaxLoc(gray, &mn, &mx);
  if (mn == mx) return info.status = ImageStatus::Constant, info;

  cv::Mat gray8;
  if (gray.depth() == CV_8U) {
    gray8 = gray;
  } else {
    int64_t lo = 0, hi = 0;
    window16(gray, intensity, lo, hi);
    gray8.create(gray.rows, gray.cols, CV_8U);
    for (int r = 0; r < gray.rows; ++r) {
      const auto* src = gray.ptr<uint16_t>(r);
      auto* dst = gray8.ptr<uint8_t>(r);
      for (int c = 0; c < gray.cols; ++c) dst[c] = rescale(src[c], lo, hi);
    }
  }

  resize_into(gray8, size, out);
  return info;
}

}  // namespace ote::ingest
