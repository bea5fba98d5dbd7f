// The monitoring-only page: the tiles for one class, nothing else.
import { HeartRateTiles } from "./hr-tiles.js";

const root = document.querySelector("#hr-monitor");
if (root) {
  window.hrTiles = new HeartRateTiles(root, root.dataset.socket);
  window.hrTiles.connect();
}
