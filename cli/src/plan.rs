//! `ilsprivacy plan …`: the accountant's planners on the command line.

use std::fmt::Write as _;

use ilsprivacy::accountant::{
    Method, PrivacyEvent, epsilon_after, gaussian_sigma, laplace_scale, max_releases,
};

use crate::args::{MethodArg, NoiseArg, PlanCommand, PlanCommon};
use crate::channel::Published;
use crate::error::CliError;
use crate::stats::thousands;

/// Runs a `plan` subcommand.
///
/// # Errors
///
/// The library's [`ilsprivacy::Error::InvalidArgument`] for a bad
/// parameter. Any release count up to 2⁶⁴ − 1 is answered at once (the
/// accountant bounds its work whatever the count).
pub fn run(cmd: PlanCommand, out: &mut Published) -> Result<(), CliError> {
    let mut s = String::new();
    match cmd {
        PlanCommand::Epsilon(a) => {
            let c = &a.common;
            let eps = epsilon_after(event(c, a.scale), a.releases, c.delta, method(c.method))?;
            let _ = writeln!(
                s,
                "{} release(s) of {} noise, scale {}, sensitivity {}: ε = {eps:.6} at δ = {} ({} accounting)",
                thousands(a.releases),
                noise(c.noise),
                a.scale,
                c.sensitivity,
                c.delta,
                method_name(c.method)
            );
            interval(&mut s, c, a.scale);
        }
        PlanCommand::Releases(a) => {
            let c = &a.common;
            let k = max_releases(event(c, a.scale), a.epsilon, c.delta, method(c.method))?;
            let _ = writeln!(
                s,
                "{} releases of {} noise, scale {}, sensitivity {}, fit in ε = {}, δ = {} ({} accounting)",
                thousands(k),
                noise(c.noise),
                a.scale,
                c.sensitivity,
                a.epsilon,
                c.delta,
                method_name(c.method)
            );
            interval(&mut s, c, a.scale);
        }
        PlanCommand::Scale(a) => {
            let c = &a.common;
            let scale = match c.noise {
                NoiseArg::Laplace => laplace_scale(
                    c.sensitivity,
                    a.releases,
                    a.epsilon,
                    c.delta,
                    method(c.method),
                )?,
                NoiseArg::Gaussian => gaussian_sigma(
                    c.sensitivity,
                    a.releases,
                    a.epsilon,
                    c.delta,
                    method(c.method),
                )?,
            };
            let _ = writeln!(
                s,
                "{} noise: {} = {scale:.6} for {} release(s) within ε = {}, δ = {} (sensitivity {}, {} accounting)",
                noise(c.noise),
                if c.noise == NoiseArg::Laplace {
                    "b"
                } else {
                    "σ"
                },
                thousands(a.releases),
                a.epsilon,
                c.delta,
                c.sensitivity,
                method_name(c.method)
            );
            interval(&mut s, c, scale);
        }
    }
    out.text(&s)
}

fn event(c: &PlanCommon, scale: f64) -> PrivacyEvent {
    match c.noise {
        NoiseArg::Laplace => PrivacyEvent::Laplace {
            l1_sensitivity: c.sensitivity,
            scale,
        },
        NoiseArg::Gaussian => PrivacyEvent::Gaussian {
            l2_sensitivity: c.sensitivity,
            sigma: scale,
        },
    }
}

/// The 95 % half-width of one release's noise.
fn interval(s: &mut String, c: &PlanCommon, scale: f64) {
    let k = match c.noise {
        NoiseArg::Laplace => scale * 20f64.ln(),
        NoiseArg::Gaussian => 1.959_964 * scale,
    };
    let _ = writeln!(
        s,
        "each release is within ±{k:.2} of the truth with probability 95%"
    );
}

fn noise(n: NoiseArg) -> &'static str {
    match n {
        NoiseArg::Laplace => "Laplace",
        NoiseArg::Gaussian => "Gaussian",
    }
}

fn method(m: MethodArg) -> Method {
    match m {
        MethodArg::Best => Method::Best,
        MethodArg::Basic => Method::Basic,
        MethodArg::Advanced => Method::Advanced,
        MethodArg::Optimal => Method::OptimalHomogeneous,
        MethodArg::Zcdp => Method::Zcdp,
        MethodArg::Rdp => Method::Rdp,
        MethodArg::Pld => Method::Pld,
    }
}

fn method_name(m: MethodArg) -> &'static str {
    match m {
        MethodArg::Best => "best",
        MethodArg::Basic => "basic",
        MethodArg::Advanced => "advanced",
        MethodArg::Optimal => "optimal homogeneous",
        MethodArg::Zcdp => "zCDP",
        MethodArg::Rdp => "RDP",
        MethodArg::Pld => "PLD",
    }
}
