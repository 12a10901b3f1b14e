//! Each shipped (int8-weight) model, run by tract, against the outputs of its fp32 original run
//! by onnxruntime (models/reference/, written by models/build/build.sh). The tolerances are in
//! the reference files: 1.5x the int8-vs-fp32 drift that onnxruntime measured, + 1e-3. The same
//! files hold onnxruntime's outputs for the int8 model, which tract must match to 1e-3 of the
//! output's scale: that part checks tract, the first checks the quantization.

mod common;

use common::{model_bytes, root};
use vitrine::engine::{Net, Tensor};
use vitrine::models::verify;

/// The synthetic 0..255 RGB image of models/build/convert.py's `synthetic_rgb` (HWC).
fn synthetic_rgb(height: usize, width: usize) -> Vec<f64> {
    let mut v = Vec::with_capacity(height * width * 3);
    for y in 0..height {
        for x in 0..width {
            for c in 0..3 {
                let (xf, yf, cf) = (x as f64, y as f64, c as f64);
                v.push(
                    127.5
                        + 127.5
                            * (0.071 * xf + 0.113 * yf * (cf + 1.0) + 0.9 * cf).sin()
                            * (0.017 * (xf - yf)).cos(),
                );
            }
        }
    }
    v
}

/// The model input as convert.py builds it, from the reference's input description.
fn input(describe: &str, shape: &[usize]) -> Tensor {
    if describe.contains("NCHW") {
        let (h, w) = (shape[2], shape[3]);
        let rgb = synthetic_rgb(h, w);
        let mut data = vec![0.0f32; 3 * h * w];
        for (i, px) in rgb.chunks_exact(3).enumerate() {
            for c in 0..3 {
                data[c * h * w + i] = ((px[c] - 127.0) / 128.0) as f32;
            }
        }
        Tensor::new(shape.to_vec(), data)
    } else {
        let (lo, hi) = if describe.contains("[-1.0, 1.0]") { (-1.0, 1.0) } else { (0.0, 1.0) };
        let rgb = synthetic_rgb(shape[1], shape[2]);
        Tensor::new(shape.to_vec(), rgb.iter().map(|v| (v / 255.0 * (hi - lo) + lo) as f32).collect())
    }
}

fn check(name: &str) {
    let dir = root().join("models").join("reference");
    let meta: serde_json::Value =
        serde_json::from_slice(&common::read(&dir.join(format!("{name}.json")))).unwrap();
    let blob = common::read(&dir.join(format!("{name}.bin")));
    let reference: Vec<f32> =
        blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();

    let file = meta["model"].as_str().unwrap();
    let bytes = model_bytes(file);
    verify(file, &bytes).unwrap();
    let shape: Vec<usize> =
        meta["input_shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    let outputs = meta["outputs"].as_array().unwrap();
    let names: Vec<&str> = outputs.iter().map(|o| o["name"].as_str().unwrap()).collect();
    let net = Net::load(file, &bytes, &shape, &names).unwrap();
    let got = net.run(input(meta["input"].as_str().unwrap(), &shape)).unwrap();

    for (o, out) in outputs.iter().zip(&got) {
        let name = o["name"].as_str().unwrap();
        let slice = |key: &str| {
            let offset = o[key].as_u64().unwrap() as usize;
            &reference[offset..offset + out.data.len()]
        };
        // The runtime: tract must compute what onnxruntime computes with the same int8 file.
        let int8 = slice("int8_offset");
        let scale = int8.iter().fold(1.0f32, |m, v| m.max(v.abs())) as f64;
        let (max, _) = diff(&out.data, int8);
        println!("{file} {name}: max |tract - onnxruntime| (int8 file) {max:.2e}, output scale {scale:.1}");
        assert!(max <= 1e-3 * scale, "{file} {name}: tract and onnxruntime differ by {max}");
        // The quantization: the int8 file against the fp32 original.
        let (max, mean) = diff(&out.data, slice("fp32_offset"));
        let (max_tol, mean_tol) = (o["max_abs"].as_f64().unwrap(), o["mean_abs"].as_f64().unwrap());
        println!(
            "{file} {name}: |int8 - fp32| max {max:.4} (tolerance {max_tol:.4}), mean {mean:.5} (tolerance {mean_tol:.5})"
        );
        assert!(max <= max_tol, "{file} {name}: max abs diff {max} > {max_tol}");
        assert!(mean <= mean_tol, "{file} {name}: mean abs diff {mean} > {mean_tol}");
    }
}

/// Max and mean absolute difference.
fn diff(a: &[f32], b: &[f32]) -> (f64, f64) {
    let (mut max, mut sum) = (0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let d = (*x as f64 - *y as f64).abs();
        max = max.max(d);
        sum += d;
    }
    (max, sum / a.len() as f64)
}

#[test]
fn pose_detector_matches_its_fp32_reference() {
    check("pose_detector");
}

#[test]
fn pose_landmarks_full_matches_its_fp32_reference() {
    check("pose_landmarks_full");
}

#[test]
fn pose_landmarks_lite_matches_its_fp32_reference() {
    check("pose_landmarks_lite");
}

#[test]
fn ssd_matches_its_fp32_reference() {
    check("ssd_oidv4");
}

#[test]
fn embedder_matches_its_fp32_reference() {
    check("efficientnet_lite0");
}
