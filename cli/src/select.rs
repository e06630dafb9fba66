//! Turns command-line options into watermarks.

use edgemark::{Bits, Convention, EmbedStyle, Watermark};

/// Which watermarks `detect` looks for.
#[derive(clap::Args, Debug)]
pub struct Selection {
    /// Built-in preset(s) to look for: sdxl, edgemark-v3 (default: sdxl).
    #[arg(long = "preset")]
    presets: Vec<String>,
    /// Also look for a scheme (edgemark-v3, dwtDct, dwtDctSvd, rivagan, edgemark-hidden-48)
    /// with your own message or bit length (edgemark-v3 needs neither: it decodes any payload).
    #[arg(long)]
    scheme: Option<String>,
    /// The message --scheme should carry (0xHEX, bits:..., text:...); gives a p-value.
    #[arg(long, requires = "scheme")]
    message: Option<String>,
    /// Bit length for --scheme when no message is given (bits are read, nothing decided).
    #[arg(long, requires = "scheme")]
    bits: Option<usize>,
}

impl Selection {
    pub fn watermarks(&self) -> Result<Vec<Watermark>, String> {
        let mut out = Vec::new();
        let presets: Vec<String> = if self.presets.is_empty() && self.scheme.is_none() {
            edgemark::DEFAULT_PRESETS
                .iter()
                .map(|p| p.to_string())
                .collect()
        } else {
            self.presets.clone()
        };
        for p in &presets {
            out.push(Watermark::preset(p).map_err(|e| e.to_string())?);
        }
        if let Some(s) = &self.scheme {
            let message = self
                .message
                .as_deref()
                .map(Bits::parse)
                .transpose()
                .map_err(|e| e.to_string())?;
            if let Some(model) = neural_model(s) {
                out.push(neural(model, message)?);
                return Ok(out);
            }
            let open_set = s.eq_ignore_ascii_case(edgemark::EdgemarkV3::NAME);
            if message.is_none() && self.bits.is_none() && !open_set {
                return Err("--scheme needs --message or --bits".into());
            }
            out.push(
                Watermark::classic(s, message, self.bits, EmbedStyle::default())
                    .map_err(|e| e.to_string())?,
            );
        }
        Ok(out)
    }
}

/// The watermark `embed` writes.
pub fn for_embedding(
    scheme: &str,
    message: Option<&str>,
    style: Option<&str>,
    convention: Option<&str>,
) -> Result<Watermark, String> {
    let message = message
        .map(Bits::parse)
        .transpose()
        .map_err(|e| e.to_string())?;
    // A preset with its own message (sdxl) fixes everything; edgemark-v3 takes a payload.
    if let Some(preset) = Watermark::preset(scheme)
        .ok()
        .filter(|p| p.message().is_some())
    {
        if message.is_some() || style.is_some() || convention.is_some() {
            return Err(format!("preset '{scheme}' fixes its message and style"));
        }
        return Ok(preset);
    }
    let message = message.ok_or("--message is required for this scheme")?;
    if let Some(model) = neural_model(scheme) {
        if style.is_some() || convention.is_some() {
            return Err("--style and --convention apply to dwtDct/dwtDctSvd only".into());
        }
        return neural(model, Some(message));
    }
    let compat = match style.unwrap_or("clean") {
        "clean" => false,
        "compat" => true,
        other => return Err(format!("--style must be clean or compat, not '{other}'")),
    };
    let convention = match convention.unwrap_or("uint8") {
        "uint8" => Convention::Uint8,
        "float" => Convention::Float,
        other => {
            return Err(format!(
                "--convention must be uint8 or float, not '{other}'"
            ))
        }
    };
    Watermark::classic(
        scheme,
        Some(message),
        None,
        EmbedStyle::new(convention, compat),
    )
    .map_err(|e| e.to_string())
}

/// The model folder of a neural scheme name.
fn neural_model(name: &str) -> Option<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "rivagan" => Some("rivagan"),
        "edgemark-hidden-48" | "hidden48" => Some("edgemark-hidden-48"),
        _ => None,
    }
}

/// A neural scheme from its model card (`models/<name>/card.toml`, found by
/// `edgemark::neural::locate`).
fn neural(name: &str, message: Option<Bits>) -> Result<Watermark, String> {
    let card = edgemark::neural::locate(name).map_err(|e| e.to_string())?;
    let scheme = edgemark::neural::Neural::load(&card).map_err(|e| e.to_string())?;
    Watermark::new(name, scheme, message).map_err(|e| e.to_string())
}
