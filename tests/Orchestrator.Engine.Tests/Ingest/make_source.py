"""Writes a small chest-X-ray-like ingest source and, independently of OpenCV, the pixels ingest must produce.

Usage: make_source.py OUT SIZE
OUT/folder/<class>/...   image-folder layout (real PNG 8/16 bit, JPEG, plus broken files)
OUT/source.csv           the same good images as a CSV (path,label,patient_id,view), plus bad rows
OUT/expected/<path>.u8   SIZE x SIZE uint8 each good image must become, decoded by PIL and computed with numpy
OUT/expected/tolerance.json  per image, the largest pixel difference allowed (0: exact)
OUT/dicom/<class>/...    DICOM files written byte by byte here (no DICOM library), OUT/dicom.csv naming them
Decoding uses Pillow (its own PNG decoder; libjpeg for JPEG); the 16-bit mapping and the 2x downscale are written
out here from their definitions, not taken from OpenCV.
"""
import json
import os
import shutil
import struct
import sys

import numpy as np
from PIL import Image

out, size = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(7)
folder = os.path.join(out, "folder")
expected_dir = os.path.join(out, "expected")
tolerance = {}


def chest(h, w, hi=255, dtype=np.uint8):
    """A smooth random image with texture: a bright body, two darker lung fields, noise."""
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    lungs = np.exp(-(((x - 0.3) / 0.12) ** 2 + ((y - 0.5) / 0.3) ** 2)) + np.exp(-(((x - 0.7) / 0.12) ** 2 + ((y - 0.5) / 0.3) ** 2))
    a = 0.7 - 0.45 * lungs + 0.08 * rng.standard_normal((h, w))
    return np.clip(a * hi, 0, hi).astype(dtype)


def expect(rel, pixels, tol=0):
    path = os.path.join(expected_dir, rel + ".u8")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    assert pixels.shape == (size, size) and pixels.dtype == np.uint8
    pixels.tofile(path)
    tolerance[rel] = tol


def save(rel, array, **kw):
    path = os.path.join(folder, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path, **kw)
    return path


def minmax16(v):
    """The 16-bit to 8-bit definition: [min, max] -> [0, 255], round half up, in integers."""
    v = v.astype(np.int64)
    lo, hi = v.min(), v.max()
    return ((v - lo) * 510 + (hi - lo)) // (2 * (hi - lo))


good = []  # (relative path, label, patient)
classes = ["Pneumonia", "COVID-19", "Tuberculosis"]
for c, label in enumerate(classes):
    for p in range(6):
        patient = f"p{c}{p:02d}"
        kind = p % 4
        rel = f"{label}/{patient}_a" + (".jpg" if kind == 1 else ".png")
        if kind == 0:    # 8-bit gray PNG at the stored size: exact
            path = save(rel, chest(size, size))
            expect(rel, np.asarray(Image.open(path)))
        elif kind == 1:  # gray JPEG at the stored size: Pillow's decode, allowed 1 level for IDCT differences
            path = save(rel, chest(size, size), quality=92)
            expect(rel, np.asarray(Image.open(path).convert("L")), tol=1)
        elif kind == 2:  # 16-bit gray PNG (12 bits used, as many detectors): exact min-max mapping
            path = save(rel, chest(size, size, hi=4095, dtype=np.uint16))
            decoded = np.asarray(Image.open(path)).astype(np.int64)
            expect(rel, minmax16(decoded).astype(np.uint8))
        else:            # 8-bit PNG at twice the size: area resize is the mean of each 2x2 block, half up
            path = save(rel, chest(2 * size, 2 * size))
            d = np.asarray(Image.open(path)).astype(np.int64)
            blocks = d[0::2, 0::2] + d[1::2, 0::2] + d[0::2, 1::2] + d[1::2, 1::2]
            expect(rel, ((blocks + 2) // 4).astype(np.uint8), tol=1)
        good.append((rel, label, patient))
        if p < 2:        # a second image of the patient: patients have several images
            rel2 = f"{label}/{patient}_b.png"
            path = save(rel2, chest(size, size))
            expect(rel2, np.asarray(Image.open(path)))
            good.append((rel2, label, patient))

# Broken files, each of which quality control must catch.
first_png = os.path.join(folder, good[0][0])
data = open(first_png, "rb").read()
open(os.path.join(folder, "Pneumonia/p099_truncated.png"), "wb").write(data[: len(data) // 2])
jpeg = next(os.path.join(folder, g[0]) for g in good if g[0].endswith(".jpg"))
jdata = open(jpeg, "rb").read()
open(os.path.join(folder, "COVID-19/p199_truncated.jpg"), "wb").write(jdata[: len(jdata) * 2 // 3])
open(os.path.join(folder, "Pneumonia/p098_zero.png"), "wb").close()
open(os.path.join(folder, "COVID-19/p198_notes.png"), "w").write("radiologist notes, not an image\n")
save("Tuberculosis/p298_flat.png", np.full((size, size), 117, np.uint8))
shutil.copyfile(first_png, os.path.join(folder, "Pneumonia/z_copy.png"))
save("Sarcoidosis/p900_a.png", chest(size, size))

# The CSV names the same files (relative to the CSV's folder), plus a label outside the class list and a missing file.
with open(os.path.join(out, "source.csv"), "w") as f:
    f.write("path,label,patient_id,view\n")
    for rel, label, patient in good:
        f.write(f"folder/{rel},{label},{patient},PA\n")
    f.write('folder/Sarcoidosis/p900_a.png,Sarcoidosis,p900,"AP, portable"\n')
    f.write("folder/Pneumonia/p097_missing.png,Pneumonia,p097,PA\n")
    f.write("folder/Pneumonia/p098_zero.png,Pneumonia,p098,PA\n")



def dicom(rel, raw, patient, photometric="MONOCHROME2", window=None, slope=1.0, intercept=0.0, signed=False, cut=None):
    """Explicit VR little endian DICOM, uncompressed; returns the 8-bit image ingest must make of it."""
    def element(group, elem, vr, value):
        if len(value) % 2:
            value += b"\0" if vr in ("UI", "OB") else b" "
        head = struct.pack("<HH", group, elem) + vr.encode()
        if vr in ("OB", "OW"):
            return head + b"\0\0" + struct.pack("<I", len(value)) + value
        return head + struct.pack("<H", len(value)) + value

    def text(v):
        return str(v).encode()

    bits = 8 if raw.dtype in (np.uint8, np.int8) else 16
    sop, uid = b"1.2.840.10008.5.1.4.1.1.1.1", ("1.2.826.0.1.3680043.9.7." + str(len(tolerance) + 1)).encode()
    meta = element(2, 1, "OB", b"\0\1") + element(2, 2, "UI", sop) + element(2, 3, "UI", uid) + element(2, 0x10, "UI", b"1.2.840.10008.1.2.1")
    meta = element(2, 0, "UL", struct.pack("<I", len(meta))) + meta
    data = element(8, 0x16, "UI", sop) + element(8, 0x18, "UI", uid) + element(0x10, 0x20, "LO", patient.encode())
    data += element(0x28, 2, "US", struct.pack("<H", 1)) + element(0x28, 4, "CS", photometric.encode())
    data += element(0x28, 0x10, "US", struct.pack("<H", raw.shape[0])) + element(0x28, 0x11, "US", struct.pack("<H", raw.shape[1]))
    data += element(0x28, 0x100, "US", struct.pack("<H", bits)) + element(0x28, 0x101, "US", struct.pack("<H", 12 if bits == 16 else 8))
    data += element(0x28, 0x102, "US", struct.pack("<H", 11 if bits == 16 else 7)) + element(0x28, 0x103, "US", struct.pack("<H", 1 if signed else 0))
    if window:
        data += element(0x28, 0x1050, "DS", text(window[0])) + element(0x28, 0x1051, "DS", text(window[1]))
    data += element(0x28, 0x1052, "DS", text(intercept)) + element(0x28, 0x1053, "DS", text(slope))
    data += element(0x7FE0, 0x10, "OW" if bits == 16 else "OB", raw.astype("<i2" if signed and bits == 16 else raw.dtype).tobytes())
    blob = b"\0" * 128 + b"DICM" + meta + data
    path = os.path.join(out, "dicom", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").write(blob if cut is None else blob[: int(len(blob) * cut)])

    x = raw.astype(np.float64) * slope + intercept
    if window:
        c, w = float(window[0]), float(window[1])
    else:
        w = x.max() - x.min() + 1
        c = x.min() + 0.5 + (w - 1) / 2
    y = np.floor(((x - (c - 0.5)) / (w - 1) + 0.5) * 255.0 + 0.5)
    y = np.where(x <= c - 0.5 - (w - 1) / 2, 0, np.where(x > c - 0.5 + (w - 1) / 2, 255, np.minimum(y, 255)))
    y = y.astype(np.uint8)
    return 255 - y if photometric == "MONOCHROME1" else y


dicoms = [
    ("Pneumonia/d000_a.dcm", "d000", dict(raw=chest(size, size, hi=4095, dtype=np.uint16), window=(2000, 1500))),
    ("Pneumonia/d001_a.dcm", "d001", dict(raw=chest(size, size, hi=4095, dtype=np.uint16), photometric="MONOCHROME1", slope=2.0, intercept=-1024.0)),
    ("COVID-19/d100_a.dcm", "d100", dict(raw=chest(size, size))),
    ("COVID-19/d101_a.dcm", "d101", dict(raw=(chest(size, size, hi=2000, dtype=np.int16) - 1000).astype(np.int16), signed=True, window=(-100, 900))),
]
with open(os.path.join(out, "dicom.csv"), "w") as f:
    f.write("path,label,patient_id\n")
    for rel, patient, kw in dicoms:
        expect("dicom/" + rel, dicom(rel, patient=patient, **kw))
        f.write(f"dicom/{rel},{rel.split('/')[0]},{patient}\n")
    dicom("COVID-19/d199_truncated.dcm", raw=chest(size, size, hi=4095, dtype=np.uint16), patient="d199", cut=0.6)
    f.write("dicom/COVID-19/d199_truncated.dcm,COVID-19,d199\n")

json.dump(tolerance, open(os.path.join(expected_dir, "tolerance.json"), "w"), indent=1, sort_keys=True)
