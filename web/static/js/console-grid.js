// The grid that holds a class on one screen: for `count` tiles in a width×height box (one of
// them spotlit, taking a 2×2 block), the columns and rows that give every picture the most area.

const TILE_CHROME_PX = 66; // the name line and the heart-rate strip: what is not picture
const PICTURE_RATIO = 16 / 9;

export function fitGrid(count, spotlit, width, height) {
  if (!count) return { cols: 1, rows: 1 };
  const cells = count + (spotlit ? 3 : 0);
  let best = { cols: 1, rows: cells, area: -1 };
  for (let cols = spotlit ? 2 : 1; cols <= cells; cols++) {
    const rows = Math.max(Math.ceil(cells / cols), spotlit ? 2 : 1);
    const pictureWidth = Math.min(width / cols, (height / rows - TILE_CHROME_PX) * PICTURE_RATIO);
    const area = pictureWidth > 0 ? (pictureWidth * pictureWidth) / PICTURE_RATIO : 0;
    if (area > best.area) best = { cols, rows, area };
  }
  return { cols: best.cols, rows: best.rows };
}
