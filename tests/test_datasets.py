"""Loaders for the real formats, tested on small files written in those formats."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from tinas.datasets import DatasetError, load_dataset


def write_cifar(root, n=6, truncate=False):
    d = root / "cifar-10-batches-py"
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        blob = pickle.dumps({b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), b"labels": list(range(n))})
        (d / name).write_bytes(blob[: len(blob) // 2] if truncate and name == "test_batch" else blob)


def test_cifar10(tmp_path):
    write_cifar(tmp_path)
    d = load_dataset("CIFAR10", 32, tmp_path)
    assert d.x_train.shape == (30, 32, 32, 3) and d.x_test.shape == (6, 32, 32, 3)
    assert d.x_train.min() >= -1 and d.x_train.max() < 1
    d28 = load_dataset("CIFAR10", 28, tmp_path)
    assert d28.x_test.shape == (6, 28, 28, 3)


def test_cifar10_truncated_and_missing(tmp_path):
    write_cifar(tmp_path, truncate=True)
    with pytest.raises(DatasetError, match="test_batch: corrupt or truncated"):
        load_dataset("CIFAR10", 32, tmp_path)
    with pytest.raises(DatasetError, match="not found"):
        load_dataset("CIFAR10", 32, tmp_path / "nope")


def write_har(root, n=4, bad_rows=False):
    base = root / "UCI HAR Dataset"
    rng = np.random.default_rng(1)
    for split in ("train", "test"):
        sig = base / split / "Inertial Signals"
        sig.mkdir(parents=True)
        for s in ["body_acc_x", "body_acc_y", "body_acc_z", "body_gyro_x", "body_gyro_y", "body_gyro_z",
                  "total_acc_x", "total_acc_y", "total_acc_z"]:
            rows = n - 1 if (bad_rows and s == "total_acc_z") else n
            np.savetxt(sig / f"{s}_{split}.txt", rng.normal(size=(rows, 128)), fmt="%.6e")
        np.savetxt(base / split / f"y_{split}.txt", rng.integers(1, 7, n), fmt="%d")


def test_har(tmp_path):
    write_har(tmp_path)
    d = load_dataset("HAR", 64, tmp_path)
    assert d.x_train.shape == (4, 64, 1, 9) and d.y_train.min() >= 0 and d.num_classes == 6


def test_har_truncated(tmp_path):
    write_har(tmp_path, bad_rows=True)
    with pytest.raises(DatasetError, match="different row counts"):
        load_dataset("HAR", 64, tmp_path)


def test_digits_embedded():
    d = load_dataset("DIGITS", 12)
    assert d.x_train.shape[1:] == (12, 12, 1) and len(d.y_test) > 400


def write_kws(root, words=("yes", "no", "up"), n=5, sr=16000):
    from scipy.io import wavfile

    rng = np.random.default_rng(2)
    for k, w in enumerate(words):
        (root / w).mkdir(parents=True)
        for i in range(n):
            t = np.arange(sr) / sr
            sig = 0.3 * np.sin(2 * np.pi * (300 + 400 * k) * t) + 0.01 * rng.normal(size=sr)
            wavfile.write(root / w / f"{i}.wav", sr, (sig * 32767).astype(np.int16))
    (root / "testing_list.txt").write_text("\n".join(f"{w}/0.wav" for w in words) + "\n")


def test_kws_wav_folder(tmp_path):
    write_kws(tmp_path)
    d = load_dataset("KWS", 48, tmp_path)
    assert d.num_classes == 3 and d.x_test.shape == (3, 48, 48, 1) and d.x_train.shape == (12, 48, 48, 1)
    # different keywords (different tones) give different features
    assert not np.allclose(d.x_test[0], d.x_test[1])


def test_kws_corrupt_wav(tmp_path):
    write_kws(tmp_path)
    (tmp_path / "yes" / "3.wav").write_bytes(b"RIFF\x00\x00not a wav")
    with pytest.raises(DatasetError, match="3.wav: not a readable WAV"):
        load_dataset("KWS", 48, tmp_path)


def test_motion_embedded_accelerometer():
    d = load_dataset("MOTION", 64)
    assert d.x_train.shape == (40, 64, 1, 3) and d.x_test.shape == (40, 64, 1, 3) and d.num_classes == 4
    assert d.x_train.min() >= -1 and d.x_train.max() < 1


def test_ts_reader_malformed(tmp_path):
    from tinas.datasets.motion import read_ts

    p = tmp_path / "x.ts"
    p.write_text("@classLabel true a b\n@data\n1,2,x:a\n")
    with pytest.raises(DatasetError, match="malformed"):
        read_ts(p)
