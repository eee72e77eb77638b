// 3D preview of uploaded models: each [data-model-preview] element gets a small WebGL view of its model
// (three.js, vendored by scripts/setup.sh). Drag to turn it.
// The element says how it went in data-preview: "rendered", "too-large" or "failed" (the e2e tests read it).
import * as THREE from "/static/vendor/three/three.module.js";
import { STLLoader } from "/static/vendor/three/STLLoader.js";
import { OrbitControls } from "/static/vendor/three/OrbitControls.js";

const COLOUR = 0x2f6fde;

function show(element, geometry) {
  const width = element.clientWidth || 240;
  const height = element.clientHeight || 180;
  // preserveDrawingBuffer: the frame stays readable after drawing (screenshots, the e2e pixel check).
  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  renderer.setSize(width, height);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xf4f6fb);
  geometry.computeVertexNormals();
  geometry.center();
  geometry.computeBoundingSphere();
  const radius = geometry.boundingSphere.radius || 1;
  const mesh = new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({ color: COLOUR, roughness: 0.6 }));
  mesh.rotation.x = -Math.PI / 2; // models come z-up, three.js is y-up
  scene.add(mesh);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x8090a0, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 1.8);
  sun.position.set(1, 2, 1.5);
  scene.add(sun);
  const camera = new THREE.PerspectiveCamera(35, width / height, radius / 100, radius * 100);
  camera.position.set(radius * 1.9, radius * 1.5, radius * 2.6);
  camera.lookAt(0, 0, 0);
  const controls = new OrbitControls(camera, renderer.domElement);
  controls.addEventListener("change", () => renderer.render(scene, camera));
  element.replaceChildren(renderer.domElement);
  renderer.render(scene, camera);
  element.dataset.preview = "rendered";
}

function load(element) {
  if (element.dataset.preview) return;
  element.dataset.preview = "loading";
  fetch(element.dataset.src, { credentials: "same-origin" })
    .then((response) => {
      if (response.status === 413) throw new Error("too-large");
      if (!response.ok) throw new Error("failed");
      return response.arrayBuffer();
    })
    .then((data) => show(element, new STLLoader().parse(data)))
    .catch((error) => {
      element.dataset.preview = error.message === "too-large" ? "too-large" : "failed";
      element.textContent = error.message === "too-large" ? "Too large to preview." : "No preview available.";
    });
}

function scan(root) {
  root.querySelectorAll("[data-model-preview]").forEach(load);
}

scan(document);
// Lines added after an upload arrive as HTML fragments: preview those too.
new MutationObserver((changes) => {
  for (const change of changes) {
    change.addedNodes.forEach((node) => node.nodeType === 1 && scan(node.parentNode || node));
  }
}).observe(document.body, { childList: true, subtree: true });
