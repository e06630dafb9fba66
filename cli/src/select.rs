//! Turns command-line options into watermarks, through edgemark's registry of schemes.

use edgemark::registry::{Registry, Request};
use edgemark::Watermark;

/// The registry the CLI lists and builds from: the built-in schemes and every model card in
/// the model folders (`$EDGEMARK_MODELS`, `./models`, `models/` above the executable).
pub fn registry() -> Registry {
    Registry::with_models()
}

/// Which watermarks `detect` looks for.
#[derive(clap::Args, Debug)]
pub struct Selection {
    /// Built-in preset(s) to look for, e.g. sdxl, flux, edgemark-v3 (default: every generator
    /// preset: sdxl, sd1, sd1-inpainting, sd2, flux, invokeai; see `edgemark schemes`).
    #[arg(long = "preset")]
    presets: Vec<String>,
    /// Also look for a scheme or model (see `edgemark schemes`) with your own message or bit
    /// length (edgemark-v3 needs neither: it decodes any payload).
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
        let presets = (!self.presets.is_empty()).then_some(self.presets.as_slice());
        let mut schemes = Vec::new();
        if let Some(s) = &self.scheme {
            let request = Request::new()
                .parse_message(self.message.as_deref())
                .map_err(|e| e.to_string())?
                .bits(self.bits);
            schemes.push((s.clone(), request));
        }
        registry()
            .select(presets, &schemes, Vec::new())
            .map_err(|e| e.to_string())
    }
}

/// The watermark `embed` writes.
pub fn for_embedding(
    scheme: &str,
    message: Option<&str>,
    style: Option<&str>,
    convention: Option<&str>,
) -> Result<Watermark, String> {
    let request = Request::new()
        .parse_message(message)
        .and_then(|r| r.parse_style(style, convention))
        .map_err(|e| e.to_string())?;
    registry()
        .for_embedding(scheme, &request)
        .map_err(|e| e.to_string())
}
