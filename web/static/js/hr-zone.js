// Where a heart rate falls against a patient's zone: the same rules as coach/hr_zones.py and the
// same time accounting as coach/hr_summary.py (a reading covers the time until the next one, at
// most MAX_GAP_MS; the zone's top is the ceiling, "over" once above it for seconds_above).

export const MAX_GAP_MS = 15000;
export const SPARK_MS = 5 * 60 * 1000;

export function band(bpm, zone) {
  if (!zone || zone.low == null || zone.high == null) return "none";
  if (bpm < zone.low) return "below";
  return bpm <= zone.high ? "in" : "above";
}

export function hrrPct(bpm, zone) {
  if (!zone || zone.resting_hr == null || zone.hr_max == null || zone.hr_max <= zone.resting_hr) {
    return null;
  }
  return Math.round((100 * (bpm - zone.resting_hr)) / (zone.hr_max - zone.resting_hr));
}

export function newTileState(zone) {
  return {
    zone,
    lastT: null,
    lastBpm: null,
    aboveSince: null,
    spark: [],
    seconds: { below: 0, in: 0, above: 0, none: 0 },
  };
}

// Adds a reading to a tile's state; false (and no change) when it is not newer.
export function addReading(state, t, bpm) {
  if (state.lastT != null && t <= state.lastT) return false;
  if (state.lastT != null) {
    const span = Math.min(t - state.lastT, MAX_GAP_MS) / 1000;
    state.seconds[band(state.lastBpm, state.zone)] += span;
  }
  const now = band(bpm, state.zone);
  if (now !== "above") state.aboveSince = null;
  else if (state.aboveSince == null || (state.lastT != null && t - state.lastT > MAX_GAP_MS)) {
    state.aboveSince = t;
  }
  state.lastT = t;
  state.lastBpm = bpm;
  state.spark.push([t, bpm]);
  while (state.spark.length && state.spark[0][0] < t - SPARK_MS) state.spark.shift();
  return true;
}

// "below" | "in" | "above" | "over" | "none" | "waiting": the tile's colour.
export function tileZone(state) {
  if (state.lastBpm == null) return "waiting";
  const now = band(state.lastBpm, state.zone);
  const seconds = (state.zone && state.zone.seconds_above) || 30;
  if (now === "above" && state.aboveSince != null && state.lastT - state.aboveSince > seconds * 1000) {
    return "over";
  }
  return now;
}

// A tile state from the server's snapshot (rtc/heart_rate/tiles.py to_json).
export function tileFromSnapshot(zone, tile) {
  const state = newTileState(zone);
  if (!tile) return state;
  state.lastT = tile.t;
  state.lastBpm = tile.bpm;
  state.aboveSince = tile.above_since;
  state.spark = (tile.spark || []).map((p) => [p[0], p[1]]);
  Object.assign(state.seconds, tile.seconds_in_band || {});
  return state;
}
