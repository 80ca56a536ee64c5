"""Geometry of patrolsim's synthetic river city, mirroring
`SyntheticSpec::river_lines` in src/network/synthetic.rs, for the scripts
that lay out scenarios on it, and the scenario tables those scripts write
for stations and places on it."""
import math

M_PER_DEG = 6371008.8 * math.pi / 180.0


class RiverCity:
    def __init__(self, rows, cols, block, width=400.0, lon0=114.30, lat0=30.59):
        self.hx = (cols - 1) / 2 * block
        self.hy = (rows - 1) / 2 * block
        self.width = width
        self.lon0, self.lat0 = lon0, lat0
        self.main = [self.river(-1.2 + 2.4 * i / 200, True) for i in range(201)]
        self.trib = [self.river(-1.2 + 1.2 * i / 200, False) for i in range(201)]
        self.centres = {"Hankou": (-0.35 * self.hx, 0.35 * self.hy),
                        "Hanyang": (-0.45 * self.hx, -0.15 * self.hy),
                        "Wuchang": (0.25 * self.hx, -0.30 * self.hy)}

    def river(self, t, main):
        hx, hy = self.hx, self.hy
        if main:
            return t * hx, 0.55 * t * hy + 0.08 * hy * math.sin(math.pi * t * 1.5)
        return t * hx, -0.35 * t * hy * (1 + 0.3 * t) + 0.04 * hy * math.sin(math.pi * t * 2.0)

    @staticmethod
    def seg_dist(p, a, b):
        dx, dy = b[0] - a[0], b[1] - a[1]
        l2 = dx * dx + dy * dy
        t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2)) if l2 else 0.0
        return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)

    def dist(self, p, line):
        return min(self.seg_dist(p, line[i], line[i + 1]) for i in range(len(line) - 1))

    def dry(self, p, margin=350.0):
        return (self.dist(p, self.main) > self.width / 2 + margin
                and self.dist(p, self.trib) > self.width / 4 + margin)

    def inside(self, p, frac=0.93):
        return abs(p[0]) < self.hx * frac and abs(p[1]) < self.hy * frac

    def district(self, p):
        """Hankou (north-west), Hanyang (west), Wuchang (south-east of the main river)."""
        def above(line):
            for i in range(len(line) - 1):
                (x0, y0), (x1, y1) = line[i], line[i + 1]
                if x0 <= p[0] <= x1:
                    return p[1] > y0 + (y1 - y0) * (p[0] - x0) / (x1 - x0)
            return p[1] > 0
        if not above(self.main):
            return "Wuchang"
        if p[0] < 0 and not above(self.trib):
            return "Hanyang"
        return "Hankou"

    def lonlat(self, p):
        return (self.lon0 + p[0] / (M_PER_DEG * math.cos(math.radians(self.lat0))),
                self.lat0 + p[1] / M_PER_DEG)


def station_names(city, stations):
    """Station names: the district and the station's number within it, counted in the given order."""
    count = {}
    names = []
    for p in stations:
        d = city.district(p)
        count[d] = count.get(d, 0) + 1
        names.append(f"{d} {count[d]:02d}")
    return names


def write_stations(w, city, stations, units):
    """A [[stations]] table per station (named by `station_names`); units(p) is its unit count."""
    for name, p in zip(station_names(city, stations), stations):
        lon, lat = city.lonlat(p)
        w("[[stations]]")
        w(f'name = "{name}"')
        w(f"lon = {lon:.5f}")
        w(f"lat = {lat:.5f}")
        w(f"units = {units(p)}")
        w("")


def write_hotspots(w, city, places):
    """A [[hotspots]] table per (kind, name, point, weight)."""
    for kind, name, p, weight in places:
        lon, lat = city.lonlat(p)
        w("[[hotspots]]")
        w(f'name = "{name}"')
        w(f'kind = "{kind}"')
        w(f"lon = {lon:.5f}")
        w(f"lat = {lat:.5f}")
        w(f"weight = {weight}")
        w("")


def write_service_to_targets(w):
    """The time on scene by priority, the call handling and the programme's targets (5-minute
    response, 15-minute loops, 90 % compliance, presence within 300 m), as both river cities use
    them: from `on_scene` (inside `[service]`) to the end of `[targets]`."""
    w("on_scene = [")
    w('  { distribution = "lognormal", mean_s = 1500, sd_s = 700 },')
    w('  { distribution = "lognormal", mean_s = 900, sd_s = 450 },')
    w('  { distribution = "exponential", mean_s = 600 },')
    w("]")
    w("")
    w("[dispatch]")
    w("call_handling_s = 60")
    w("")
    w("[targets]")
    w("response_s = 300")
    w("patrol_loop_s = 900")
    w("compliance = 0.90")
    w("presence_radius_m = 300")
