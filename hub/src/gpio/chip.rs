//! The box's real lines: the kernel's GPIO character device (`/dev/gpiochipN`, uAPI v2)
//! through `gpiocdev`, which works on any Linux with the device (the Pi 5's RP1 included),
//! unlike the retired `rppal`. Each line is its own request, kept for the life of the hub
//! (an output's level is only guaranteed while its request lives: gpiocdev's `Request`
//! docs). The button's edges are read on a thread of their own.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use gpiocdev::line::{Bias, EdgeDetection, EdgeKind, Value};
use gpiocdev::Request;
use tokio::sync::mpsc;

use super::lines::{GpioError, Lines, EDGES_KEPT};

const CONSUMER: &str = "hotel-hub";

pub(super) struct Chip {
    path: PathBuf,
    outputs: Mutex<HashMap<u32, Request>>,
}

impl Chip {
    /// Claims `outputs` (offset, active-low) on the chip at `path`, all inactive.
    pub(super) fn open(path: PathBuf, outputs: &[(u32, bool)]) -> Result<Chip, GpioError> {
        let mut claimed = HashMap::new();
        for &(line, active_low) in outputs {
            let mut builder = Request::builder();
            builder
                .on_chip(&path)
                .with_consumer(CONSUMER)
                .with_line(line)
                .as_output(Value::Inactive);
            if active_low {
                builder.as_active_low();
            }
            let request = builder.request().map_err(|e| GpioError::Chip {
                chip: path.display().to_string(),
                message: format!("line {line}: {e}"),
            })?;
            claimed.insert(line, request);
        }
        Ok(Chip {
            path,
            outputs: Mutex::new(claimed),
        })
    }
}

impl Lines for Chip {
    fn drive(&self, line: u32, active: bool) -> Result<(), GpioError> {
        let outputs = self.outputs.lock().unwrap_or_else(|p| p.into_inner());
        let request = outputs.get(&line).ok_or_else(|| GpioError::Line {
            line,
            message: "not claimed as an output".into(),
        })?;
        let value = if active {
            Value::Active
        } else {
            Value::Inactive
        };
        request.set_lone_value(value).map_err(|e| GpioError::Line {
            line,
            message: e.to_string(),
        })
    }

    fn level(&self, line: u32) -> Option<bool> {
        let outputs = self.outputs.lock().unwrap_or_else(|p| p.into_inner());
        let value = outputs.get(&line)?.lone_value().ok()?;
        Some(value == Value::Active)
    }

    /// The button: pulled up, active low (pressed connects it to ground), both edges.
    fn watch(&self, line: u32) -> Result<mpsc::Receiver<bool>, GpioError> {
        let request = Request::builder()
            .on_chip(&self.path)
            .with_consumer(CONSUMER)
            .with_line(line)
            .as_input()
            .as_active_low()
            .with_bias(Bias::PullUp)
            .with_edge_detection(EdgeDetection::BothEdges)
            .request()
            .map_err(|e| GpioError::Line {
                line,
                message: e.to_string(),
            })?;
        let (tx, rx) = mpsc::channel(EDGES_KEPT);
        std::thread::Builder::new()
            .name(format!("gpio-line-{line}"))
            .spawn(move || loop {
                match request.read_edge_event() {
                    Ok(event) => {
                        let active = event.kind == EdgeKind::Rising;
                        if tx.blocking_send(active).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::error!(line, error = %e, "The GPIO line cannot be read any more.");
                        return;
                    }
                }
            })
            .map_err(|e| GpioError::Line {
                line,
                message: e.to_string(),
            })?;
        Ok(rx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use gpiosim::Level;

    use super::*;

    async fn next(edges: &mut mpsc::Receiver<bool>) -> Option<bool> {
        tokio::time::timeout(Duration::from_secs(5), edges.recv())
            .await
            .ok()
            .flatten()
    }

    /// Real character-device lines, on a kernel with gpio-sim (CONFIG_GPIO_SIM: a Yocto
    /// image can enable it; Debian's kernels and this machine's do not) and as root.
    /// Elsewhere it says why it checked nothing.
    #[tokio::test]
    async fn lines_on_the_kernels_gpio_sim() {
        if !std::path::Path::new("/sys/kernel/config/gpio-sim").exists() {
            eprintln!("no gpio-sim in this kernel: the character-device backend is not exercised");
            return;
        }
        let sim = gpiosim::Simpleton::new(8);
        let chip = Chip::open(sim.dev_path().clone(), &[(1, false), (2, true)]).unwrap();
        chip.drive(1, true).unwrap();
        assert_eq!(sim.get_level(1).unwrap(), Level::High);
        assert_eq!(chip.level(1), Some(true));
        // An active-low relay closes on a low level.
        chip.drive(2, true).unwrap();
        assert_eq!(sim.get_level(2).unwrap(), Level::Low);
        // The button: pulled up; pressed, it is pulled to ground.
        let mut edges = chip.watch(3).unwrap();
        sim.pulldown(3).unwrap();
        assert_eq!(next(&mut edges).await, Some(true));
        sim.pullup(3).unwrap();
        assert_eq!(next(&mut edges).await, Some(false));
        assert!(chip.drive(5, true).is_err(), "an unclaimed line is refused");
    }
}
