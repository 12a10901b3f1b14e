//! The shipped models on real photos: what each finds must be where the body is.

mod common;

use common::{model_bytes, photo};
#[cfg(feature = "train")]
use vitrine::engine::{Net, Tensor};
use vitrine::geometry::Rect;
#[cfg(feature = "train")]
use vitrine::head::{Head, Layer};
use vitrine::models::{
    Backbone, Embedder, Label, ObjectDetector, PoseDetector, PoseLandmarker, LANDMARK_NAMES,
};
use vitrine::photo::{Limits, Photo};
#[cfg(feature = "train")]
use vitrine::vector::{dot, normalize};
use vitrine::Error;

fn load_photo(name: &str) -> Option<Photo> {
    Some(Photo::decode(&photo(name)?, name, &Limits::default()).unwrap())
}

fn index(name: &str) -> usize {
    LANDMARK_NAMES.iter().position(|n| *n == name).unwrap()
}

#[test]
fn messi_landmarks_fall_on_the_body_in_order() {
    let Some(photo) = load_photo("messi5.jpg") else {
        return;
    };
    let detector = PoseDetector::new(&model_bytes(PoseDetector::FILE)).unwrap();
    let people = detector.detect(&photo).unwrap();
    println!("people: {people:?}");
    assert!(!people.is_empty(), "no person found on messi5.jpg");
    assert!(people[0].score > 0.8, "person score {}", people[0].score);

    let ssd = ObjectDetector::new(&model_bytes(ObjectDetector::FILE)).unwrap();
    let objects = ssd.detect(&photo, 0.3).unwrap();
    println!("objects: {objects:?}");
    let person = objects.iter().find(|d| d.label == Label::Person).expect("SSD finds no Person");
    assert!(
        objects.iter().any(|d| d.label.is_footwear()),
        "SSD finds no Footwear / Boot / High heels on messi5.jpg"
    );

    for file in [PoseLandmarker::FILE, PoseLandmarker::LITE_FILE] {
        let landmarker = PoseLandmarker::new(file, &model_bytes(file)).unwrap();
        let pose = landmarker.landmarks(&photo, &people[0].roi()).unwrap();
        println!("{file}: presence {}", pose.presence);
        for (name, l) in LANDMARK_NAMES.iter().zip(&pose.landmarks) {
            println!("  {name:18} {:6.1} {:6.1} vis {:.2}", l.x, l.y, l.visibility);
        }
        assert!(pose.presence > 0.9, "{file}: pose presence {}", pose.presence);
        let y = |name: &str| pose.landmarks[index(name)].y;
        for side in ["left", "right"] {
            let chain = ["shoulder", "hip", "knee", "ankle"].map(|part| format!("{side}_{part}"));
            for pair in chain.windows(2) {
                assert!(y(&pair[0]) < y(&pair[1]), "{file}: {} is not above {}", pair[0], pair[1]);
            }
        }
        assert!(y("nose") < y("left_shoulder").min(y("right_shoulder")), "{file}: nose below shoulders");
        // Every body landmark inside the SSD person box (with a margin for the box's slack).
        let slack = person.rect.pad(0.1, 0.1, 0.1, 0.1);
        for (name, l) in LANDMARK_NAMES.iter().zip(&pose.landmarks).skip(11) {
            assert!(
                slack.contains(l.point()),
                "{file}: {name} {l:?} is outside the person box {:?}",
                person.rect
            );
        }
        // The person mask covers the torso and not the far corner of the photo.
        let torso = pose.landmarks[index("left_shoulder")]
            .point()
            .midpoint(pose.landmarks[index("right_hip")].point());
        assert!(pose.mask.at(torso) > 0.5, "{file}: mask at the torso {}", pose.mask.at(torso));
        let corner = vitrine::geometry::Point::new(2.0, 2.0);
        assert!(pose.mask.at(corner) < 0.5, "{file}: mask at the corner");
    }
}

#[test]
fn bus_has_several_people_and_their_shoes() {
    let Some(photo) = load_photo("bus.jpg") else {
        return;
    };
    let detector = PoseDetector::new(&model_bytes(PoseDetector::FILE)).unwrap();
    let people = detector.detect(&photo).unwrap();
    println!("people: {people:?}");
    assert!(!people.is_empty());
    let ssd = ObjectDetector::new(&model_bytes(ObjectDetector::FILE)).unwrap();
    let objects = ssd.detect(&photo, 0.3).unwrap();
    println!("objects: {objects:?}");
    let persons = objects.iter().filter(|d| d.label == Label::Person).count();
    assert!(persons >= 2, "SSD finds {persons} people on bus.jpg");
    // Shoes are in the bottom third of the photo.
    let h = photo.height() as f32;
    let shoes: Vec<_> = objects.iter().filter(|d| d.label.is_footwear()).collect();
    assert!(!shoes.is_empty(), "no footwear on bus.jpg");
    for s in shoes {
        assert!(s.rect.center().y > h * 0.6, "footwear {s:?} is not near the ground");
    }
}

#[test]
fn embeddings_are_unit_length_and_see_what_differs() {
    let Some(photo) = load_photo("messi5.jpg") else {
        return;
    };
    let embedder = Embedder::new(&model_bytes(Embedder::FILE)).unwrap();
    let shirt = embedder.embed(&photo, &Rect::new(215.0, 110.0, 290.0, 230.0)).unwrap();
    let shirt_again = embedder.embed(&photo, &Rect::new(210.0, 105.0, 295.0, 235.0)).unwrap();
    let grass = embedder.embed(&photo, &Rect::new(20.0, 280.0, 140.0, 340.0)).unwrap();
    assert_eq!(shirt.len(), Embedder::DIM);
    let norm: f32 = shirt.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4);
    let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    println!("shirt~shirt {} shirt~grass {}", cos(&shirt, &shirt_again), cos(&shirt, &grass));
    assert!(cos(&shirt, &shirt_again) > cos(&shirt, &grass) + 0.2);
}

#[test]
fn a_damaged_or_renamed_model_is_refused_by_name() {
    let bytes = model_bytes(PoseDetector::FILE);
    let err = PoseDetector::new(&bytes[..bytes.len() / 2]).unwrap_err();
    assert!(matches!(err, Error::Model { .. }));
    let msg = err.to_string();
    assert!(msg.contains("pose_detector.onnx") && msg.contains("sha256"), "{msg}");

    // The SSD's bytes handed over as the pose detector: caught by the checksum, not by luck.
    let msg = PoseDetector::new(&model_bytes(ObjectDetector::FILE)).unwrap_err().to_string();
    assert!(msg.contains("pose_detector.onnx") && msg.contains("is not the expected"), "{msg}");

    let msg = PoseLandmarker::new("pose_detector.onnx", &bytes).unwrap_err().to_string();
    assert!(msg.contains("is not a landmark model"), "{msg}");
}

/// Raw ImageNet features already tell garment kinds apart: on ../shared's clothing dataset the
/// 5 nearest neighbours of a photo are mostly of its own kind.
#[test]
fn embeddings_group_garments_of_a_kind() {
    let Some(dir) = common::clothing_dataset() else {
        return;
    };
    let csv = String::from_utf8(common::read(&dir.join("images.csv"))).unwrap();
    let kinds = ["T-Shirt", "Pants", "Shoes", "Dress", "Shorts"];
    let mut picked: Vec<(usize, String)> = Vec::new();
    let mut lines: Vec<&str> = csv.lines().skip(1).collect();
    lines.sort();
    for (k, kind) in kinds.iter().enumerate() {
        let images = lines.iter().filter(|l| l.split(',').nth(2) == Some(kind)).take(16);
        picked.extend(images.map(|l| (k, l.split(',').next().unwrap().to_string())));
    }
    let backbone = Backbone::new(&model_bytes(Backbone::FILE)).unwrap();
    let vectors: Vec<Vec<f32>> = picked
        .iter()
        .map(|(_, image)| {
            let bytes = common::read(&dir.join("images").join(format!("{image}.jpg")));
            backbone.feature(&Photo::decode(&bytes, image, &Limits::default()).unwrap()).unwrap()
        })
        .collect();
    let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let mut hits = 0;
    for (i, v) in vectors.iter().enumerate() {
        let mut others: Vec<(f32, usize)> =
            (0..vectors.len()).filter(|&j| j != i).map(|j| (cos(v, &vectors[j]), j)).collect();
        others.sort_by(|a, b| b.0.total_cmp(&a.0));
        hits += others[..5].iter().filter(|(_, j)| picked[*j].0 == picked[i].0).count();
    }
    let precision = hits as f32 / (5 * vectors.len()) as f32;
    println!("precision@5 over {} photos of {kinds:?}: {precision:.3}", vectors.len());
    // Chance is about 0.19; ImageNet features should be far above it.
    assert!(precision > 0.6, "precision@5 {precision}");
}

/// The shipped embedder computes exactly what `vitrine train --fine-tune` trained: the
/// backbone's trunk (unchanged), its tail with the fine-tuned weights stored in the file (int8 as
/// stored, run in candle as training ran it), then the int8 head stored in the same file. (The
/// readers and the candle tail are native only, `train` feature, as are the next tests.)
#[cfg(feature = "train")]
#[test]
fn the_shipped_embedder_is_the_trunk_with_its_fine_tuned_tail_and_head() {
    let Some(photo) = load_photo("messi5.jpg") else {
        return;
    };
    let bytes = model_bytes(Embedder::FILE);
    let (head, metadata) = vitrine::engine::read_head(Embedder::FILE, &bytes).unwrap();
    println!("{metadata:?}");
    assert_eq!((head.inputs(), head.dim()), (Backbone::DIM, Embedder::DIM));
    let value = |key: &str| metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert_eq!(value("backbone_sha256"), vitrine::models::expected_sha256(Backbone::FILE));
    assert!(value("fine_tuned").is_some(), "{metadata:?}");

    let blocks = value("tail_blocks").map_or(1, |v| v.parse().unwrap());
    let backbone = model_bytes(Backbone::FILE);
    let (tail, _) = vitrine::engine::read_tail(Embedder::FILE, &bytes, blocks).unwrap();
    let (pretrained, _) = vitrine::engine::read_tail(Backbone::FILE, &backbone, blocks).unwrap();
    assert_ne!(tail.head_conv.weights, pretrained.head_conv.weights, "the tail was trained");
    assert_ne!(tail.blocks[0], pretrained.blocks[0], "its first block was trained");
    let trunk = vitrine::models::Trunk::new(Backbone::FILE, &backbone, blocks).unwrap();
    let feature =
        vitrine::train::tail_features(&tail, &[&trunk.activations(&photo).unwrap()]).unwrap().remove(0);
    let expected = normalize(head.embed(&feature));
    let whole = Embedder::new(&bytes).unwrap().embed_whole(&photo).unwrap();
    assert_eq!(whole.len(), Embedder::DIM);
    let cos = dot(&whole, &expected);
    assert!(cos > 0.9999, "cosine {cos}");
}

/// `append_head` writes a graph tract runs (normalisation, int8 weights, ReLU between layers)
/// and that computes the quantized head on the backbone's unit feature.
#[cfg(feature = "train")]
#[test]
fn a_head_appended_to_the_backbone_runs_in_tract() {
    let Some(photo) = load_photo("messi5.jpg") else {
        return;
    };
    // A fixed pseudo-random two-layer head: 1280 -> 16 -> 8.
    let mut state = 0x2545_f491_u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state as f32 / u32::MAX as f32) - 0.5
    };
    let mut layer = |inputs: usize, outputs: usize| Layer {
        inputs,
        outputs,
        weights: (0..inputs * outputs).map(|_| next()).collect(),
        bias: (0..outputs).map(|_| next()).collect(),
    };
    let head = Head { layers: vec![layer(1280, 16), layer(16, 8)] };
    let bytes = vitrine::engine::append_head(
        "test.onnx",
        &model_bytes(Backbone::FILE),
        &head,
        "out",
        &[("k", "v".into())],
    )
    .unwrap();
    let (read_back, metadata) = vitrine::engine::read_head("test.onnx", &bytes).unwrap();
    assert_eq!(read_back, head.quantized());
    assert_eq!(metadata, vec![("k".to_string(), "v".to_string())]);

    let net = Net::load("test.onnx", &bytes, &[1, 3, 224, 224], &["out"]).unwrap();
    let backbone =
        Net::load(Backbone::FILE, &model_bytes(Backbone::FILE), &[1, 3, 224, 224], &["features"]).unwrap();
    let pixels: Vec<f32> = photo
        .sample(
            224,
            224,
            &vitrine::geometry::Affine::square_around(224, &Rect::new(200.0, 100.0, 300.0, 250.0)),
            [127.0; 3],
        )
        .iter()
        .map(|v| (v - 127.0) / 128.0)
        .collect();
    let input = Tensor::new(vec![1, 3, 224, 224], pixels);
    let out = net.run(input.clone()).unwrap().remove(0);
    assert_eq!(out.shape, vec![1, 8]);
    let feature = normalize(backbone.run(input).unwrap().remove(0).data);
    let expected = head.quantized().embed(&feature);
    for (a, b) in out.data.iter().zip(&expected) {
        assert!((a - b).abs() < 1e-3 * (1.0 + b.abs()), "{:?} vs {expected:?}", out.data);
    }
}

/// The fine-tuning path computes the backbone's own numbers: the trunk cut before the tail (its
/// last block, and its last two: a 5x5 depthwise and a skip), then the tail as `vitrine::train`
/// runs it in candle, gives the backbone's feature; the tail read from the file and written back
/// (int8 again) leaves the network's output unchanged; a tail with other weights changes it as
/// candle predicts.
#[cfg(feature = "train")]
#[test]
fn the_trunk_and_the_tail_in_candle_are_the_backbone() {
    use vitrine::models::Trunk;
    let Some(photo) = load_photo("messi5.jpg") else {
        return;
    };
    let bytes = model_bytes(Backbone::FILE);
    let backbone = Backbone::new(&bytes).unwrap();
    let expected = backbone.feature(&photo).unwrap();
    let run = |bytes: &[u8], photo: &Photo| {
        let net = Net::load("tail.onnx", bytes, &[1, 3, 224, 224], &["features"]).unwrap();
        let rect = Rect::new(0.0, 0.0, photo.width() as f32, photo.height() as f32);
        let hwc = photo.sample(224, 224, &vitrine::geometry::Affine::square_around(224, &rect), [127.0; 3]);
        // NCHW, as the embedder feeds it.
        let pixels: Vec<f32> =
            (0..3).flat_map(|c| hwc.iter().skip(c).step_by(3).map(|v| (v - 127.0) / 128.0)).collect();
        normalize(net.run(Tensor::new(vec![1, 3, 224, 224], pixels)).unwrap().remove(0).data)
    };
    for (blocks, kernel, skip) in [(1, 3, false), (2, 5, true)] {
        let (tail, input) = vitrine::engine::read_tail(Backbone::FILE, &bytes, blocks).unwrap();
        let first = &tail.blocks[0];
        assert_eq!((tail.blocks.len(), tail.inputs(), tail.outputs()), (blocks, 192, 1280));
        assert_eq!((first.depthwise.outputs, first.depthwise.kernel, first.skip()), (1152, kernel, skip));
        let trunk = Trunk::new(Backbone::FILE, &bytes, blocks).unwrap();
        let activations = trunk.activations(&photo).unwrap();
        assert_eq!(activations.len(), 192 * 7 * 7, "{input}");
        let ours = vitrine::train::tail_features(&tail, &[&activations]).unwrap().remove(0);
        let cos = dot(&ours, &expected);
        assert!(cos > 0.9999, "{blocks} blocks: cosine {cos}");

        // Written back unchanged: the same network.
        let same = vitrine::engine::replace_tail("same.onnx", &bytes, &tail).unwrap();
        assert!(dot(&run(&same, &photo), &expected) > 0.9999);

        // Other weights: the first block's project convolution halved and its bias moved.
        let mut changed = tail.clone();
        let project = &mut changed.blocks[0].project;
        project.weights.iter_mut().for_each(|w| *w *= 0.5);
        project.bias.iter_mut().enumerate().for_each(|(i, b)| *b += (i % 7) as f32 * 0.1);
        let predicted = vitrine::train::tail_features(&changed, &[&activations]).unwrap().remove(0);
        let written = run(&vitrine::engine::replace_tail("changed.onnx", &bytes, &changed).unwrap(), &photo);
        assert!(dot(&predicted, &expected) < 0.99, "the change must matter");
        let cos = dot(&written, &predicted);
        assert!(cos > 0.999, "{blocks} blocks: cosine {cos}");
    }
    // 4 blocks are on the 7 x 7 map; the 5th from the end halves the map before it.
    assert_eq!(vitrine::engine::read_tail(Backbone::FILE, &bytes, 4).unwrap().0.blocks.len(), 4);
    let err = vitrine::engine::read_tail(Backbone::FILE, &bytes, 5).unwrap_err().to_string();
    assert!(err.contains("give 1 to 4"), "{err}");
}

/// What the benchmarks time: every shipped network bare, on a real photo; other files are refused
/// by name.
#[test]
fn every_shipped_model_runs_bare() {
    let Some(photo) = load_photo("messi5.jpg") else {
        return;
    };
    for (file, signature) in vitrine::models::SHIPPED {
        let model = vitrine::models::BareModel::new(file, &model_bytes(file), &photo).unwrap();
        assert!(!model.run().unwrap().is_empty(), "{file}");
        assert_eq!(model.input().len(), signature.input.iter().product::<usize>(), "{file}");
        assert!(
            model.input().iter().all(|v| (0.0..=1.0).contains(v)) && model.input().iter().any(|v| *v > 0.5)
        );
    }
    let msg = vitrine::models::BareModel::new(Backbone::FILE, &model_bytes(Backbone::FILE), &photo)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("efficientnet_lite0.onnx") && msg.contains("is not a model the page loads"),
        "{msg}"
    );
}

/// The profile runs the same plan as `run`, step by step, with tract's count of each step's
/// multiply-adds, and the pose models carry no `Resize`: the recipe rewrites it as depthwise
/// convolutions because tract's `Resize` is a per-element loop (models/README.md).
#[test]
fn the_profile_times_and_counts_every_step_and_the_pose_models_have_no_resize() {
    let Some(photo) = load_photo("messi5.jpg") else {
        return;
    };
    for (file, _) in vitrine::models::SHIPPED {
        let model = vitrine::models::BareModel::new(file, &model_bytes(file), &photo).unwrap();
        let steps = model.profile(vitrine::timing::default_clock).unwrap();
        assert!(steps.len() > 100, "{file}: {} steps", steps.len());
        assert!(steps.iter().all(|s| s.ms >= 0.0), "{file}");
        let total: f64 = steps.iter().map(|s| s.ms).sum();
        assert!(total > 1.0, "{file}: {total} ms for a whole network");
        // Every matrix product does arithmetic; reshapes do none. All five are mobile networks
        // of 0.1-1 G multiply-adds (e.g. EfficientNet-Lite0 at 224 px: ~0.4 G).
        let matmuls: Vec<_> = steps.iter().filter(|s| s.op == "OptMatMul").collect();
        assert!(!matmuls.is_empty() && matmuls.iter().all(|s| s.macs > 0.0), "{file}: {matmuls:?}");
        assert!(steps.iter().filter(|s| s.op == "IntoShape").all(|s| s.macs == 0.0), "{file}");
        let macs: f64 = steps.iter().map(|s| s.macs).sum();
        assert!((1e8..1e9).contains(&macs), "{file}: {macs} multiply-adds");
        let resizes: Vec<_> = steps.iter().filter(|s| s.op.contains("Resize")).collect();
        assert!(resizes.is_empty(), "{file}: {resizes:?}");
    }
}
