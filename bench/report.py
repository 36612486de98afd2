"""Writes docs/performance.md from bench/results/{full,quick}/*.json (full first, when it exists)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
DOC = BENCH.parent / "docs" / "performance.md"


def load(mode: str, stage: str) -> Any:
    path = RESULTS / mode / f"{stage}.json"
    return json.loads(path.read_text()) if path.exists() else None


def s(seconds: float | None, digits: int = 2) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "n/a"
    if seconds >= 100:
        return f"{seconds:,.0f} s"
    return f"{seconds:.{digits}f} s"


def x(ratio: float | None) -> str:
    return "n/a" if ratio is None or math.isnan(ratio) else f"{ratio:,.2f}x" if ratio < 100 else f"{ratio:,.0f}x"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**met**" if ok else "**missed**")


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


class Report:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.meta = load(mode, "meta") or {}
        self.fixtures = load(mode, "fixtures") or {}
        self.publish = load(mode, "publish") or []
        self.cli = load(mode, "cli") or {}
        self.ssg = load(mode, "ssg") or {}
        self.rebuild = load(mode, "rebuild")
        self.coldstart = load(mode, "coldstart")
        self.burst = load(mode, "burst")
        self.memory = load(mode, "memory")
        self.layer = load(mode, "layer")

    # --- lookups ---------------------------------------------------------------------------------

    def case(self, size: int, backend: str = "local") -> dict[str, Any] | None:
        return next((c for c in self.publish if c["size"] == size and c["backend"] == backend), None)

    def sizes(self) -> list[int]:
        return sorted({c["size"] for c in self.publish})

    def build(self, tool: str, size: int) -> dict[str, Any] | None:
        return next((b for b in self.ssg.get("builds", []) if b["tool"] == tool and b["size"] == size), None)

    def cli_publish(self, size: int) -> dict[str, Any] | None:
        return next((c for c in self.cli.get("publish", []) if c["size"] == size), None)

    # --- sections --------------------------------------------------------------------------------

    def goals(self) -> list[list[str]]:
        rows = []
        sizes = self.sizes()
        small, large = (sizes[0], sizes[-1]) if sizes else (None, None)
        a, b = (self.case(small), self.case(large)) if sizes else (None, None)
        if a and b and large != small:
            t = b["median_seconds"] / a["median_seconds"]
            c = b["median_handler_calls"] / a["median_handler_calls"]
            rows.append([f"publish into {large:,} costs at most 1.2x the {small} case: time (in process, the local stack)",
                         f"{s(b['median_seconds'])} vs {s(a['median_seconds'])} = {x(t)}", verdict(t <= 1.2)])
            pa, pb = self.case(small, "unpatched"), self.case(large, "unpatched")
            if pa and pb:
                tp = pb["median_seconds"] / pa["median_seconds"]
                rows.append(["... same, on unpatched moto 5.2 (its O(table) calls included)",
                             f"{s(pb['median_seconds'])} vs {s(pa['median_seconds'])} = {x(tp)}", verdict(tp <= 1.2)])
            rows.append(["... API calls by the handlers", f"{b['median_handler_calls']:.0f} vs {a['median_handler_calls']:.0f} = {x(c)}",
                         verdict(c <= 1.2)])
        if a:
            worst = max(c["median_handler_calls"] for c in self.publish)
            rows.append(["at most 20 API calls for an article in one category, listings included",
                         f"{a['median_handler_calls']:.0f} to {worst:.0f}", verdict(worst <= 20)])
        ca, cb = (self.cli_publish(small), self.cli_publish(large)) if sizes else (None, None)
        if ca and cb and large != small:
            r = cb["median"] / ca["median"]
            rows.append([f"`pressrun publish` CLI stays flat ({small} to {large:,})",
                         f"{s(ca['median'])} to {s(cb['median'])} = {x(r)}", verdict(r <= 1.2)])
        hugo = self.build("hugo", large) if large else None
        if b and hugo:
            r = hugo["median"] / b["median_seconds"]
            rows.append([f"publish one article at least 50x faster than Hugo's full build ({large:,})",
                         f"Hugo {s(hugo['median'])} / pressrun {s(b['median_seconds'])} = {x(r)}", verdict(r >= 50)])
            if cb:
                r2 = hugo["median"] / cb["median"]
                rows.append(["... counting the whole `pressrun publish` command", f"Hugo {s(hugo['median'])} / CLI {s(cb['median'])} = {x(r2)}",
                             verdict(r2 >= 50)])
        if self.rebuild:
            size = self.rebuild["size"]
            total = self.rebuild["enter_seconds"] + self.rebuild["rebuild_seconds"] + self.rebuild["exit_seconds"]
            pel, hug = self.build("pelican", size), self.build("hugo", size)
            if pel:
                r = pel["median"] / total
                rows.append([f"rebuild of {size:,} at least 5x faster than Pelican", f"Pelican {s(pel['median'])} / pressrun {s(total)} = {x(r)}",
                             verdict(r >= 5)])
            if hug:
                r = hug["median"] / total
                rows.append([f"rebuild of {size:,} at least as fast as Hugo", f"Hugo {s(hug['median'])} / pressrun {s(total)} = {x(r)}",
                             verdict(r >= 1)])
            fan_out = (self.rebuild.get("lambda") or {}).get("wall_seconds_by_workers", {}).get("100")
            if fan_out and pel and hug:
                rows.append(["... the fan-out on Lambda, 100 workers (an estimate from the measured per-page cost, section 3)",
                             f"~{fan_out} s: {x(pel['median'] / fan_out)} Pelican, {x(hug['median'] / fan_out)} Hugo",
                             "estimate, not a measurement"])
        if self.coldstart:
            for mode, data in self.coldstart["modes"].items():
                worst = max(v["vs_baseline"] for k, v in data.items() if k.endswith("Function"))
                rows.append([f"cold start at most 1.5x a boto3 + pydantic process (layer {mode})", f"up to {x(worst)}", verdict(worst <= 1.5)])
        if self.layer and "without_boto3_mb" in self.layer:
            rows.append(["layer at most 15 MB unzipped, boto3 excluded", f"{self.layer['without_boto3_mb']:.1f} MB", verdict(self.layer["without_boto3_mb"] <= 15)])
        if self.burst:
            burst = self.burst["burst"]
            ok = burst["invalidation_calls"] <= burst["windows"]
            rows.append([f"burst ({burst['uploads']} uploads in {burst['seconds']} s): one CreateInvalidation per window",
                         f"{burst['invalidation_calls']} calls in {burst['windows']} windows", verdict(ok)])
            rows.append(["... at most 30 paths per 100 articles (burst)", f"{burst['paths_per_100_articles']}", verdict(burst["paths_per_100_articles"] <= 30)])
            day = self.burst["day"]
            rows.append(["... at most 30 paths per 100 articles (a normal day, one at a time)", f"{day['paths_per_100_articles']}",
                         verdict(day["paths_per_100_articles"] <= 30)])
        return rows

    def publish_section(self) -> str:
        out = []
        rows = []
        for size in self.sizes():
            for backend in ("local", "unpatched"):
                c = self.case(size, backend)
                if not c:
                    continue
                rows.append([f"{size:,}", backend, s(c["median_seconds"], 3), s(c["median_handler_seconds"], 3),
                             f"{c['median_handler_calls']:.0f}", f"{c['median_poller_calls']:.0f}", c["last_invalidation_paths"],
                             s(c["enter_seconds"], 1), s(c["exit_seconds"], 1), ", ".join(f"{r['seconds']:.3f}" for r in c["runs"])])
        out.append(table(["site", "stack", "publish (median)", "in handlers", "handler calls", "poller calls",
                          "invalidated paths", "restore (once)", "mirror + save (once)", "runs (s)"], rows))
        large = self.sizes()[-1] if self.sizes() else None
        c = self.case(large) if large else None
        if c:
            out.append(f"\nHandler calls for one article at {large:,}, by function (local stack, last run):\n")
            rows = [[name, sum(ops.values()), ", ".join(f"{op} {n}" for op, n in ops.items())]
                    for name, ops in c["last_handler_calls_by_function"].items()]
            out.append(table(["function", "calls", "by operation"], rows))
            out.append("\nTime inside each handler for that run: " + ", ".join(
                f"{name} {seconds * 1000:.0f} ms" for name, seconds in c["last_handler_seconds_by_function"].items()) + ".")
            out.append("\nThe local runner's own calls (Lambda's pollers do these in AWS): " + ", ".join(
                f"{op} {n}" for op, n in c["last_poller_calls_by_operation"].items()) + ".")
        for backend in ("local", "unpatched"):
            c = self.case(large, backend) if large else None
            if c and c.get("profile"):
                out.append(f"\ncProfile of one more publish into {large:,} ({'the local stack' if backend == 'local' else 'unpatched moto'}); cumulative seconds, "
                           f"profiler overhead included (`bench/results/profiles/publish-{large}-{backend}.txt` has the full listing):\n")
                rows = [[r["what"], r["calls"], f"{r['seconds']:.3f}"] for r in c["profile"]["hot_spots"]]
                out.append(table(["where", "calls", "cumulative s"], rows))
        return "\n".join(out)

    def cli_section(self) -> str:
        out = []
        rows = []
        for c in self.cli.get("publish", []):
            missing = c.get("missing_from_listings") or []
            rows.append([f"{c['size']:,}", s(c["median"]), ", ".join(f"{t:.2f}" for t in c["runs"]),
                         "all listed" if not missing else f"NOT on the home page: runs into {missing}"])
        if rows:
            out.append(table(["site", "`pressrun publish` (median)", "runs (s)", "listings check"], rows))
        for c in self.cli.get("publish", []):
            if c.get("profile"):
                out.append(f"\nWhere one `pressrun publish` into {c['size']:,} spends its time (cProfile, cumulative s):\n")
                keep = ("total", "state.", "LocalStack", "runner.drain", "LocalSite.summary", "moto response", "copy.deepcopy", "S3Site.put", "boto3 client")
                rows = [[r["what"], r["calls"], f"{r['seconds']:.2f}"] for r in c["profile"] if r["what"].startswith(keep)]
                out.append(table(["where", "calls", "cumulative s"], rows))
        return "\n".join(out)

    def ssg_section(self) -> str:
        rows = []
        for b in self.ssg.get("builds", []):
            p = self.case(b["size"])
            cli = self.cli_publish(b["size"])
            rows.append([f"{b['size']:,}", b["tool"], s(b["median"]), ", ".join(f"{t:.2f}" for t in b["runs"]),
                         f"{b['files']['html']:,} html, {b['files']['xml']} xml",
                         x(b["median"] / p["median_seconds"]) if p else "n/a",
                         x(b["median"] / cli["median"]) if cli else "n/a"])
        return table(["corpus", "tool", "full build (median)", "runs (s)", "output", "build / pressrun publish (in process)",
                      "build / `pressrun publish` CLI"], rows)

    def rebuild_section(self) -> str:
        r = self.rebuild
        if not r:
            return "_Not measured in this run._"
        total = r["enter_seconds"] + r["rebuild_seconds"] + r["exit_seconds"]
        rows = [["restore saved state (LocalSite enter)", s(r["enter_seconds"])],
                [f"rebuild: RebuildFunction + {r['jobs']} worker jobs", s(r["rebuild_seconds"])],
                ["mirror + save (LocalSite exit)", s(r["exit_seconds"])],
                ["**whole command**", f"**{s(total)}**"],
                ["planner (scan + queue)", s(r["planner_seconds"], 3)],
                [f"article jobs: {r['article_jobs']} x 25 articles, median / p90", f"{s(r['article_job_median'], 3)} / {s(r['article_job_p90'], 3)}"],
                ["site listing job (home, feeds, the whole sitemap)", s(r["site_listing_job"], 3)],
                ["category listing job (median)", s(r["category_job_median"], 3)]]
        out = [table([f"`pressrun rebuild` of {r['size']:,}, in process, the local stack", "seconds"], rows)]
        rows = []
        for tool in ("hugo", "pelican"):
            b = self.build(tool, r["size"])
            if b:
                rows.append([tool, s(b["median"]), x(b["median"] / total), x(b["median"] / r["rebuild_seconds"])])
        if rows:
            out.append("\n" + table(["tool", f"full build of {r['size']:,}", "tool / pressrun rebuild (whole)", "tool / pressrun rebuild (pipeline only)"], rows))
        for c in self.cli.get("rebuild", []):
            out.append(f"\nThe real `pressrun rebuild` command on the {c['size']:,} site: median {s(c['median'])} "
                       f"(runs {', '.join(f'{t:.1f}' for t in c['runs'])} s); paths invalidated: {c['invalidated_paths']}.")
        lam = r.get("lambda")
        if lam:
            out.append(f"\n**On Lambda (estimate).** {lam['assumptions']}. An article job then takes ~{lam['article_job_seconds']} s and "
                       f"the site listing job ~{lam['site_listing_job_seconds']} s (here {s(r['site_listing_job'], 2)}, of which "
                       f"{s(r['site_listing_job_own_seconds'], 2)} outside moto, and {r['site_listing_job_calls']} calls). "
                       f"Render CPU per page here: {r['render_cpu_ms']:.1f} ms. Wall time with N parallel workers: "
                       + ", ".join(f"N={n}: ~{v} s" for n, v in lam["wall_seconds_by_workers"].items())
                       + " (the longer of the waves of article jobs and the single site-listing job, which renders the whole sitemap).")
        out.append(f"\nHandler calls for the whole rebuild: {r['handler_calls']:,} (" + ", ".join(
            f"{op} {n:,}" for op, n in r["handler_calls_by_operation"].items()) + ").")
        return "\n".join(out)

    def coldstart_section(self) -> str:
        c = self.coldstart
        if not c:
            return "_Not measured in this run._"
        out = [f"Fresh processes per case: {c['processes']} (median), {c['python']}, cases interleaved.\n"]
        modes = list(c["modes"])
        names = list(c["modes"][modes[0]])
        header = ["process"] + [f"import ms ({m})" for m in modes] + [f"x baseline ({m})" for m in modes] + ["modules", "peak RSS MB"]
        rows = []
        for name in names:
            first = c["modes"][modes[0]][name]
            extra = ""
            if first["tracer_ms"]:
                extra = f" (+ Tracer() {', '.join(str(c['modes'][m][name]['tracer_ms']) for m in modes)} ms)"
            if first["clients_ms"]:
                extra = f" (+ 2 clients {', '.join(str(c['modes'][m][name]['clients_ms']) for m in modes)} ms)"
            rows.append([name + extra] + [c["modes"][m][name]["import_ms"] for m in modes]
                        + [x(c["modes"][m][name]["vs_baseline"]) for m in modes] + [first["modules"], first["maxrss_mb"]])
        out.append(table(header, rows))
        breakdown = c.get("importtime")
        if breakdown:
            out.append(f"\nWhere {breakdown['handler']}'s import goes (`python -X importtime`, layer {breakdown['mode']}, "
                       f"self time summed per top-level package, {breakdown['total_ms']:.0f} ms in all):\n")
            out.append(table(["package", "ms", "modules"], [[k, v["ms"], v["modules"]] for k, v in breakdown["packages"].items()]))
        return "\n".join(out)

    def layer_section(self) -> str:
        layer = self.layer
        if not layer or "error" in layer:
            return f"_Layer not measured: {layer.get('error') if layer else 'not run'}_"
        rows = [[name, f"{mb:.2f}"] for name, mb in layer["by_package_mb"].items()]
        return (f"`{layer['path']}` ({layer['files']} files): **{layer['total_mb']:.2f} MB** unzipped; boto3 in it: "
                f"{layer['boto3_package_mb']:.2f} MB; the runtime's boto3 closure in it (botocore, s3transfer, jmespath, dateutil, "
                f"urllib3, six): {layer['runtime_provided_mb']:.2f} MB; without boto3: **{layer['without_boto3_mb']:.2f} MB**; "
                f".pyc files: {layer['pyc_mb']:.2f} MB.\n\n" + table(["package", "MB"], rows))

    def burst_section(self) -> str:
        if not self.burst:
            return "_Not measured in this run._"
        b, d = self.burst["burst"], self.burst["day"]
        rows = [[f"{i + 1}", w["calls"], w["paths"]] for i, w in enumerate(b["per_window"])]
        out = [f"**Burst**: {b['uploads']} uploads evenly over {b['seconds']} s into the {b['site_size']:,} site, "
               f"{b['window_seconds']} s invalidation window: **{b['invalidation_calls']} CreateInvalidation calls, "
               f"{b['billed_paths']} billed paths** ({b['wildcard_items']} of them wildcards), "
               f"{b['paths_per_100_articles']} per 100 articles.\n", table(["window", "calls", "billed paths"], rows),
               f"\nItems requested: `{' '.join(b['sample_items'])}`\n",
               f"**A normal day** ({d['articles']} articles published one at a time, each its own window, into the "
               f"{d['site_size']:,} site): {d['mean_billed_paths_per_article']} billed paths per article "
               f"(min {d['min_max_paths'][0]}, max {d['min_max_paths'][1]}) = **{d['paths_per_100_articles']} per 100 articles**. "
               f"At {d['per_day']} articles a day: {d['monthly_paths']:,} paths a month, of which 1,000 are free, "
               f"**${d['monthly_cost_usd']:,.2f} a month** at $0.005 a path. A typical article's items: `{' '.join(d['typical_items'])}`."]
        return "\n".join(out)

    def memory_section(self) -> str:
        if not self.memory:
            return "_Not measured in this run._"
        rows = [[c["kind"], f"{c['input_bytes']:,}", f"{c['page_bytes']:,}", f"{c['seconds']:.2f}", f"{c['rss_before_mb']:.0f}",
                 f"{c['peak_after_mb']:.0f}", f"{c['peak_growth_mb']:.0f}"] for c in self.memory["cases"]]
        return table(["article", "bytes in", "page bytes", "validate + render s (one core here)", "RSS before MB", "peak RSS MB",
                      "growth MB"], rows)


def header(report: Report) -> str:
    m = report.meta
    machine = m.get("machine", {})
    fixtures = "; ".join(
        f"{int(size):,}: made in {meta.get('seconds', '?')} s at {meta.get('revision', meta.get('fingerprint', '?'))}"
        for size, meta in sorted(report.fixtures.items(), key=lambda item: int(item[0])))
    return (f"Run: `{m.get('command', '?')}`, {m.get('started_at', '?')} to {m.get('finished_at', '?')} "
            f"({m.get('total_seconds', '?')} s of stages: {', '.join(f'{k} {v:.0f} s' for k, v in m.get('stage_seconds', {}).items())}).\n"
            f"Machine (read at run time): {machine.get('cores')} cores ({machine.get('cpu', '?')}), {machine.get('memory_gib')} GiB, "
            f"{machine.get('os', '?')}, Python {machine.get('python')} for the pipeline; load average at start "
            f"{machine.get('load_average_at_start')}.\nCode measured: {m.get('code', 'revision ' + str(m.get('revision', '?')))} "
            f"(the checkout was at {m.get('checkout_at_end', '?')} when the run ended). Fixture sites: {fixtures}."
            + (f"\n{m['note'][0].upper()}{m['note'][1:]}." if m.get("note") else "")
            + ("" if len(set(m.get("stage_code", {}).values())) <= 1 else "\nCode each stage measured: "
               + "; ".join(f"{stage}: {code}" for stage, code in m.get("stage_code", {}).items()) + "."))


def main() -> None:
    modes = [mode for mode in ("full", "quick") if (RESULTS / mode / "meta.json").exists()]
    if not modes:
        raise SystemExit("no results: run bench/run.py --quick or --full first")
    main_report = Report(modes[0])
    template = (BENCH / "performance.template.md").read_text()
    values = {
        "HEADER": header(main_report),
        "MODE": main_report.mode,
        "GOALS": table(["goal", "measured", "verdict"], main_report.goals()),
        "PUBLISH": main_report.publish_section(),
        "CLI": main_report.cli_section(),
        "SSG": main_report.ssg_section(),
        "SSG_VERSIONS": ", ".join(f"{k} {v}" for k, v in main_report.ssg.get("versions", {}).items()),
        "SSG_NOTES": "\n".join(f"- {note}" for note in main_report.ssg.get("notes", [])),
        "REBUILD": main_report.rebuild_section(),
        "COLDSTART": main_report.coldstart_section(),
        "LAYER": main_report.layer_section(),
        "BURST": main_report.burst_section(),
        "MEMORY": main_report.memory_section(),
        "PLOT": f"performance-{main_report.mode}.png",
        "FINDINGS": (BENCH / "findings.md").read_text() if (BENCH / "findings.md").exists() else "",
    }
    if len(modes) > 1:
        quick = Report("quick")
        values["QUICK"] = (f"The quick run (`make bench`) of the same code, for comparison: {header(quick)}\n\n"
                           + table(["goal", "measured", "verdict"], quick.goals()))
    else:
        values["QUICK"] = "_Only one mode has results so far._"
    text = template
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    DOC.write_text(text)
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
