//! `ilsprivacy report` run as a user would, on generated exports.

mod common;

use std::fs;
use std::io::Read;
use std::process::Stdio;

use common::*;

fn example_config() -> String {
    root().join("examples/report.toml").display().to_string()
}

/// Runs a report; returns (exit code, stdout, stderr).
fn report(s: &Scratch, args: &[&str]) -> (i32, String, String) {
    let out = run(&s.0, args);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn custom_branches_from_a_public_list_are_released() {
    let s = Scratch::new("public");
    let csv = s.path("checkouts.csv");
    write_export(&csv, 12_000, ',', &BRANCHES, |_, _| None);
    let ledger = s.path("budget.ledger");
    let config = example_config();
    let (code, out, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            &config,
            "--ledger",
            ledger.to_str().unwrap(),
            "--create-ledger",
        ],
    );
    assert_eq!(code, 0, "{err}");
    for b in BRANCHES {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(&format!("{b} "))),
            "branch {b} missing:\n{out}"
        );
    }
    assert!(
        !out.contains("CENTRAL"),
        "the sample's branches leaked in:\n{out}"
    );
    assert!(out.contains("mean loan_days"), "{out}");
    assert_eq!(
        ledger_kinds(&ledger, "spend"),
        1,
        "one spend for both tables"
    );

    // A branch missing from the public list: its rows are counted for the
    // operator, never published; past max_outside_groups the run stops.
    let few = s.path("few-outside.csv");
    write_export(&few, 12_000, ',', &BRANCHES, |line, r| {
        (line % 400 == 0).then(|| format!("{},EASTGATE,{}", r[0], r[2..].join(",")))
    });
    let (code, out, err) = report(
        &s,
        &[
            "report",
            few.to_str().unwrap(),
            "--config",
            &config,
            "--ledger",
            ledger.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("rows are outside its public groups"), "{err}");
    assert!(
        !out.contains("EASTGATE") && !out.contains("outside"),
        "{out}"
    );
    let many = s.path("many-outside.csv");
    write_export(&many, 12_000, ',', &BRANCHES, |line, r| {
        (line % 20 == 0).then(|| format!("{},EASTGATE,{}", r[0], r[2..].join(",")))
    });
    let spends = ledger_kinds(&ledger, "spend");
    let (code, out, err) = report(
        &s,
        &[
            "report",
            many.to_str().unwrap(),
            "--config",
            &config,
            "--ledger",
            ledger.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("fall outside the public groups of table \"branches\""),
        "{err}"
    );
    assert!(out.is_empty(), "{out}");
    assert_eq!(ledger_kinds(&ledger, "spend"), spends, "nothing spent");
}

#[test]
fn custom_branches_selected_from_the_data_are_released() {
    let s = Scratch::new("selected");
    let csv = s.path("checkouts.csv");
    write_export(&csv, 12_000, ',', &BRANCHES, |_, _| None);
    let ledger = s.path("l");
    // No --config: the documented default (columns patron_id, branch,
    // format, items, loan_days; groups selected with differential privacy).
    let (code, out, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--ledger",
            ledger.to_str().unwrap(),
            "--create-ledger",
        ],
    );
    assert_eq!(code, 0, "{err}");
    for b in BRANCHES.iter().chain(&["book", "dvd", "ebook"]) {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(&format!("{b} "))),
            "group {b} missing:\n{out}"
        );
    }
    assert!(out.contains("selected from the data"), "{out}");
}

/// 12,000 rows with an unterminated quote at line 51.
fn quote_at_line_51(path: &std::path::Path) {
    write_export(path, 12_000, ',', &BRANCHES, |line, r| {
        (line == 51).then(|| format!("{},\"{}", r[0], r[1..].join(",")))
    });
}

#[test]
fn an_unterminated_quote_at_line_51_stops_the_run_before_any_spend() {
    let s = Scratch::new("quote");
    let csv = s.path("checkouts.csv");
    quote_at_line_51(&csv);
    let ledger = s.path("l");
    let config = example_config();
    let html = s.path("r.html");
    let outdir = s.path("out");
    let (code, out, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            &config,
            "--ledger",
            ledger.to_str().unwrap(),
            "--create-ledger",
            "--html",
            html.to_str().unwrap(),
            "--out",
            outdir.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 4, "{err}");
    assert!(
        out.is_empty(),
        "published output after an input error:\n{out}"
    );
    assert!(
        err.contains("line 51: a quoted field opened on this line"),
        "{err}"
    );
    assert!(err.contains("bytes"), "says how much was not read: {err}");
    assert!(err.contains("Nothing was spent"), "{err}");
    assert_eq!(ledger_kinds(&ledger, "spend"), 0);
    assert!(!html.exists());
    assert_eq!(fs::read_dir(&outdir).map(|d| d.count()).unwrap_or(0), 0);
    // The dry run says the same.
    let (code, _, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            &config,
            "--ledger",
            ledger.to_str().unwrap(),
            "--dry-run",
        ],
    );
    assert_eq!(code, 4);
    assert!(err.contains("line 51"), "{err}");
}

#[test]
fn no_exact_figure_reaches_the_published_output() {
    let s = Scratch::new("exact");
    let csv = s.path("checkouts.csv");
    // 20,011 rows; 173 quarantined (items not a number), all from line
    // 19,003 on, every 5th line: the first lines kept are 19,003, 19,008 …
    let quarantined: Vec<usize> = (0..173).map(|i| 19_003 + 5 * i).collect();
    write_export(&csv, 20_011, ',', &BRANCHES, |line, r| {
        quarantined.contains(&line).then(|| {
            let mut r = r.to_vec();
            r[4] = "x".into();
            r.join(",")
        })
    });
    let ledger = s.path("l");
    let html = s.path("report.html");
    let outdir = s.path("out");
    let config = example_config();
    let (code, out, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            &config,
            "--ledger",
            ledger.to_str().unwrap(),
            "--create-ledger",
            "--html",
            html.to_str().unwrap(),
            "--out",
            outdir.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let used = 20_011 - 173;
    let mut forbidden: Vec<String> = vec![
        "20011".into(),
        used.to_string(),
        "173".into(),
        "20012".into(),
    ];
    forbidden.extend(quarantined[..5].iter().map(usize::to_string));
    // The operator sees them, labelled.
    assert!(err.contains("20,011 data rows"), "{err}");
    assert!(err.contains("173 rows quarantined"), "{err}");
    assert!(
        err.contains("lines 19003, 19008, 19013, 19018, 19023, ..."),
        "{err}"
    );
    for line in err
        .lines()
        .filter(|l| l.contains("quarantined") || l.contains("data rows"))
    {
        assert!(
            line.starts_with("[operator diagnostic, exact, not for publication]"),
            "{line}"
        );
    }
    // The published channels do not.
    let mut published = vec![
        ("stdout", out.clone()),
        ("html", fs::read_to_string(&html).unwrap()),
    ];
    for e in fs::read_dir(&outdir).unwrap() {
        let p = e.unwrap().path();
        published.push(("out file", fs::read_to_string(&p).unwrap()));
    }
    assert_eq!(published.len(), 5, "report.json and two CSV files");
    for (what, body) in &published {
        // The files for machines are also split at every comma (a CSV field
        // is a number of its own); the text for people reads "4,173" as one
        // number with a thousands separator, not as 4 and 173.
        let plain: Vec<String> = if *what == "out file" {
            body.split(|c: char| !c.is_ascii_digit() && c != '.')
                .map(str::to_owned)
                .collect()
        } else {
            Vec::new()
        };
        for n in numbers(body).iter().chain(&plain) {
            assert!(
                !forbidden.contains(n),
                "{what} contains the exact figure {n}:\n{body}"
            );
        }
        let lower = body.to_lowercase();
        for word in ["quarantin", "rows read", "not for publication", "data rows"] {
            assert!(!lower.contains(word), "{what} contains {word:?}");
        }
    }
}

#[test]
fn a_report_that_does_not_fit_releases_nothing_and_spends_nothing() {
    let s = Scratch::new("refused");
    let csv = s.path("checkouts.csv");
    write_export(&csv, 6_000, ',', &BRANCHES, |_, _| None);
    let ledger = s.path("l");
    let config = example_config();
    let l = ledger.to_str().unwrap();
    let (code, _, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            &config,
            "--ledger",
            l,
            "--create-ledger",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // Lower the limit so that 0.5 is left: the next report needs 1.
    let adj = run(
        &s.0,
        &[
            "ledger",
            "set-limit",
            "--ledger",
            l,
            "--account",
            "riverside/circulation",
            "--epsilon",
            "1.5",
            "--delta",
            "3e-7",
            "--reason",
            "test: a smaller budget",
        ],
    );
    assert!(adj.status.success(), "{}", text(&adj.stderr));
    let before = fs::read(&ledger).unwrap();
    let html = s.path("r.html");
    let outdir = s.path("out");
    let (code, out, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            &config,
            "--ledger",
            l,
            "--html",
            html.to_str().unwrap(),
            "--out",
            outdir.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert!(out.is_empty(), "a table was printed:\n{out}");
    assert!(!html.exists() && !outdir.join("report.json").exists());
    assert_eq!(fs::read(&ledger).unwrap(), before, "the ledger changed");
    assert!(
        err.contains("nothing was released and nothing was charged"),
        "{err}"
    );
    assert!(err.contains("the report needs ε 1, δ 1e-7"), "{err}");
    assert!(
        err.contains("spent ε 1, δ 0.0000001 of ε 1.5, δ 0.0000003; left ε 0.5"),
        "{err}"
    );
    assert!(err.contains("wait for the next period"), "{err}");
    assert!(err.contains("adjustment, with a reason"), "{err}");
    assert!(!err.to_lowercase().contains("delete"), "{err}");
    // The status shows the same spent amount.
    let st = run(&s.0, &["ledger", "status", "--ledger", l]);
    assert!(
        text(&st.stdout).contains("spent: ε 1, δ 0.0000001 (left ε 0.5"),
        "{}",
        text(&st.stdout)
    );
}

#[test]
fn a_closed_standard_output_ends_quietly() {
    let s = Scratch::new("pipe");
    let ledger = s.path("l");
    // `| head -1` through a shell, with the report's exit status.
    let script = format!(
        "\"{}\" report --sample-events 20000 --ledger \"{}\" --create-ledger | head -1; echo \"status ${{PIPESTATUS[0]}}\"",
        bin(),
        ledger.display()
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("XDG_STATE_HOME", s.path("xdg"))
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.ends_with("status 0\n"), "{stdout}\n{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );

    // Standard output closed before anything is printed: every write fails
    // with EPIPE, and the report still finishes and writes its file.
    let html = s.path("r.html");
    let mut child = command(
        &s.0,
        &[
            "report",
            "--sample-events",
            "20000",
            "--ledger",
            ledger.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(html.exists(), "the file asked for was written");
    assert_eq!(ledger_kinds(&ledger, "spend"), 2);

    // The ledger's listing too.
    let script = format!(
        "\"{}\" ledger show --ledger \"{}\" | head -1; echo \"status ${{PIPESTATUS[0]}}\"",
        bin(),
        ledger.display()
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).ends_with("status 0\n"),
        "{}",
        text(&out.stdout)
    );
    assert!(!text(&out.stderr).contains("panicked"));
}

#[test]
fn semicolons_are_detected_or_the_error_shows_the_header_and_delimiter() {
    let s = Scratch::new("semicolon");
    let csv = s.path("checkouts.csv");
    write_export(&csv, 8_000, ';', &BRANCHES, |_, _| None);
    let ledger = s.path("l");
    let l = ledger.to_str().unwrap();
    let (code, out, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--ledger",
            l,
            "--create-ledger",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("WESTVIEW"), "{out}");
    assert!(err.contains("(delimiter ';', detected)"), "{err}");
    // A configuration that says ',' fails, showing what was read.
    let config = s.path("comma.toml");
    let text_config = fs::read_to_string(example_config())
        .unwrap()
        .replace("delimiter = \"auto\"", "delimiter = \",\"");
    fs::write(&config, text_config).unwrap();
    let spends = ledger_kinds(&ledger, "spend");
    let (code, out, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--ledger",
            l,
        ],
    );
    assert_eq!(code, 4, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("\"patron_id;branch;format;checkout_date;items;loan_days\""),
        "{err}"
    );
    assert!(err.contains("delimiter ',' (comma) (as set)"), "{err}");
    assert!(err.contains("looks delimited by ';' (semicolon)"), "{err}");
    assert!(
        err.contains("input.unit"),
        "names the configuration key: {err}"
    );
    assert_eq!(ledger_kinds(&ledger, "spend"), spends);
}

#[test]
fn a_bad_ledger_path_fails_before_the_input_is_read() {
    let s = Scratch::new("badledger");
    // A FIFO with no writer: opening it for reading would block forever,
    // so the program must fail before it touches the input.
    let fifo = s.path("input.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let missing = s.path("missing.ledger");
    let cases: [(&str, Option<&str>, i32, &str); 2] = [
        // A directory that does not exist: the ledger cannot be created.
        (
            "/nonexistent-dir/x/budget.ledger",
            Some("--create-ledger"),
            1,
            "/nonexistent-dir/x/budget.ledger",
        ),
        // An explicit ledger that does not exist, without --create-ledger.
        (missing.to_str().unwrap(), None, 2, "does not exist"),
    ];
    for (ledger, extra, code, says) in cases {
        let mut args = vec!["report", fifo.to_str().unwrap(), "--ledger", ledger];
        args.extend(extra);
        let mut child = command(&s.0, &args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("the program opened the input before checking the ledger {ledger}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(status.code(), Some(code), "{ledger}: {err}");
        assert!(err.contains(says), "{err}");
        assert!(!err.contains("operator diagnostic"), "{err}");
    }
    assert!(!missing.exists());
}

#[test]
fn the_default_ledger_is_per_user_and_persistent() {
    let s = Scratch::new("default");
    for _ in 0..2 {
        let out = run(&s.0, &["report", "--sample-events", "20000"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let ledger = s.path("xdg/ilsprivacy/budget.ledger");
    assert_eq!(ledger_kinds(&ledger, "spend"), 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(ledger.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the state directory is private");
    }
    // Without XDG_STATE_HOME: ~/.local/state.
    let out = command(&s.0, &["report", "--sample-events", "20000"])
        .env_remove("XDG_STATE_HOME")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        ledger_kinds(
            &s.path("home/.local/state/ilsprivacy/budget.ledger"),
            "spend"
        ),
        1
    );
    let st = run(&s.0, &["ledger", "status"]);
    assert!(
        text(&st.stdout).contains("demo/built-in-sample"),
        "{}",
        text(&st.stdout)
    );
}

#[test]
fn a_dry_run_prints_the_plan_and_spends_nothing() {
    let s = Scratch::new("dry");
    let csv = s.path("c.csv");
    write_export(&csv, 5_000, ',', &BRANCHES, |_, _| None);
    let ledger = s.path("l");
    let config = example_config();
    // Without a ledger: a simulation, and no ledger is created.
    let (code, out, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            &config,
            "--ledger",
            ledger.to_str().unwrap(),
            "--dry-run",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!ledger.exists());
    assert!(
        out.contains("cost of the report: ε 1, δ 1e-7 (one spend for all tables)"),
        "{out}"
    );
    assert!(
        out.contains("counts: discrete Laplace noise of scale 133.33"),
        "{out}"
    );
    assert!(out.contains("±"), "{out}");
    assert!(out.contains("the report fits"), "{out}");
    for b in BRANCHES {
        assert!(!out.contains(b), "a dry run shows no table: {out}");
    }
    // With a ledger: unchanged by the dry run.
    let (code, _, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            &config,
            "--ledger",
            ledger.to_str().unwrap(),
            "--create-ledger",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let before = fs::read(&ledger).unwrap();
    let (code, out, _) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            &config,
            "--ledger",
            ledger.to_str().unwrap(),
            "--dry-run",
        ],
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("the report fits: ε 1, δ 0.0000001 would be left after it"),
        "{out}"
    );
    assert_eq!(fs::read(&ledger).unwrap(), before);
}

#[test]
fn too_many_quarantined_rows_stop_the_run_before_any_spend() {
    let s = Scratch::new("quarantine");
    let csv = s.path("c.csv");
    write_export(&csv, 5_000, ',', &BRANCHES, |line, r| {
        (line % 50 == 0).then(|| format!(",{}", r[1..].join(",")))
    });
    let ledger = s.path("l");
    let l = ledger.to_str().unwrap();
    let (code, out, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--ledger",
            l,
            "--create-ledger",
        ],
    );
    assert_eq!(code, 4, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("2% of the rows were quarantined, more than the 1% allowed"),
        "{err}"
    );
    assert!(
        err.contains("patron_id is empty or missing (lines 50, 100, 150, 200, 250, ...)"),
        "{err}"
    );
    assert_eq!(ledger_kinds(&ledger, "spend"), 0);
    let (code, _, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--ledger",
            l,
            "--max-quarantined",
            "5%",
        ],
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn outputs_are_complete_files_and_the_page_is_self_contained() {
    let s = Scratch::new("files");
    let ledger = s.path("l");
    let html = s.path("report.html");
    let outdir = s.path("out");
    let out = run(
        &s.0,
        &[
            "report",
            "--sample-events",
            "30000",
            "--ledger",
            ledger.to_str().unwrap(),
            "--create-ledger",
            "--html",
            html.to_str().unwrap(),
            "--out",
            outdir.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(outdir.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], "ilsprivacy-report");
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["tables"].as_array().unwrap().len(), 2);
    let row = &json["tables"][0]["rows"][0];
    let (c, [lo, hi]) = (
        row["count"].as_i64().unwrap(),
        [
            row["count_95"][0].as_i64().unwrap(),
            row["count_95"][1].as_i64().unwrap(),
        ],
    );
    assert!(lo <= c && c <= hi);
    let branches = fs::read_to_string(outdir.join("branches.csv")).unwrap();
    assert!(
        branches.starts_with("branch,count,count_low95,count_high95,mean,mean_low95,mean_high95\n"),
        "{branches}"
    );
    assert_eq!(branches.lines().count(), 21);
    let page = fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Content-Security-Policy"));
    for banned in [
        "<script", "http://", "https://", "src=", "url(", "@import", "<link",
    ] {
        assert!(
            !page.contains(banned),
            "the page fetches or runs something: {banned}"
        );
    }
    assert!(
        page.matches("<svg").count() >= 4,
        "a gauge and a chart per statistic"
    );
    let leftovers: Vec<_> = fs::read_dir(&s.0)
        .unwrap()
        .chain(fs::read_dir(&outdir).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn configuration_errors_name_the_line_and_key_and_gaussian_selection_is_refused() {
    let s = Scratch::new("config");
    let csv = s.path("c.csv");
    write_export(&csv, 100, ',', &BRANCHES, |_, _| None);
    let bad = s.path("bad.toml");
    fs::write(
        &bad,
        "[budget]\ncomposition = \"zcdp\"\n\n[[table]]\nname = \"b\"\ngroup_by = \"branch\"\nmax_groups_per_patron = 1\nmax_per_group = 5\nnoise = \"gaussian\"\nrho = 0.1\nselect_groups = { epsilon = 0.1, delta = 1e-8 }\n",
    )
    .unwrap();
    let ledger = s.path("l");
    let (code, _, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            bad.to_str().unwrap(),
            "--ledger",
            ledger.to_str().unwrap(),
            "--create-ledger",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.toml:11: table \"b\": select_groups: Gaussian noise with groups selected from the data is not supported yet"), "{err}");
    assert!(
        !ledger.exists(),
        "a configuration error comes before the ledger"
    );
    // Over the per-report cap.
    let greedy = s.path("greedy.toml");
    fs::write(
        &greedy,
        fs::read_to_string(example_config())
            .unwrap()
            .replace("epsilon = 0.3\ngroups", "epsilon = 0.9\ngroups"),
    )
    .unwrap();
    let (code, _, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            greedy.to_str().unwrap(),
            "--ledger",
            ledger.to_str().unwrap(),
            "--create-ledger",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("more than one report may cost (ε 1, δ 1e-7)"),
        "{err}"
    );
    // The printed default configuration is the documented one.
    let out = run(&s.0, &["report", csv.to_str().unwrap(), "--print-config"]);
    assert!(text(&out.stdout).contains("select_groups"));
}

#[test]
fn tables_swamped_by_noise_get_a_warning() {
    let s = Scratch::new("utility");
    let csv = s.path("small.csv");
    // 300 rows over five branches: about 60 per branch, against ±400 of noise.
    write_export(&csv, 300, ',', &BRANCHES, |_, _| None);
    let ledger = s.path("l");
    let config = example_config();
    let (code, out, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            &config,
            "--ledger",
            ledger.to_str().unwrap(),
            "--create-ledger",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: table \"branches\": the noise (±"),
        "{err}"
    );
    assert!(err.contains("Fewer, larger groups"), "{err}");
    assert!(out.contains("note: the noise (±"), "{out}");
}

#[test]
fn a_group_by_too_fine_is_refused_before_any_spend() {
    let s = Scratch::new("groups");
    let csv = s.path("c.csv");
    write_export(&csv, 3_000, ',', &BRANCHES, |_, _| None);
    let config = s.path("fine.toml");
    // Group by the checkout date: hundreds of groups, above a cap of 50.
    let text = "[input]\nmax_groups = 50\n[[table]]\nname = \"days\"\ngroup_by = \"checkout_date\"\nmax_groups_per_patron = 1\nmax_per_group = 5\nepsilon = 0.5\nselect_groups = { epsilon = 0.1, delta = 1e-8 }\n";
    fs::write(&config, text).unwrap();
    let ledger = s.path("l");
    let (code, out, err) = report(
        &s,
        &[
            "report",
            csv.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--ledger",
            ledger.to_str().unwrap(),
            "--create-ledger",
        ],
    );
    assert_eq!(code, 4, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("table \"days\" has more than 50 distinct groups"),
        "{err}"
    );
    assert_eq!(ledger_kinds(&ledger, "spend"), 0);
}
