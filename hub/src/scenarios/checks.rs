//! What a scenario definition must be before it is stored: known fields, bounded depth,
//! size and text (`MAX_*` in `model.rs`), schedules that parse, devices named.

use super::model::{
    invalid, Action, Compare, Condition, DeviceTest, Invalid, Target, Trigger, MAX_DEPTH,
    MAX_STEPS, MAX_TEXT,
};
use super::schedule;

impl Trigger {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        match self {
            Trigger::Time { at } => schedule::daily(at).map(|_| ()),
            Trigger::Cron { expression } => schedule::cron(expression).map(|_| ()),
            Trigger::Sun { offset_minutes, .. } if offset_minutes.abs() > 12 * 60 => {
                invalid("sun offset: within ±720 minutes")
            }
            Trigger::Device {
                device_id,
                test,
                for_minutes,
            } => {
                device_ok(device_id, test)?;
                if *for_minutes > 7 * 24 * 60 {
                    return invalid("for: at most a week");
                }
                Ok(())
            }
            Trigger::Weather { threshold, .. } if !threshold.is_finite() => {
                invalid("weather threshold: a number")
            }
            _ => Ok(()),
        }
    }
}

pub(super) fn device_ok(device_id: &str, test: &DeviceTest) -> Result<(), Invalid> {
    if device_id.is_empty() || device_id.len() > 64 {
        return invalid("choose a device");
    }
    let ok = if test.field.is_flag() {
        test.value.is_boolean() && test.op == Compare::Eq
    } else {
        test.value.as_f64().is_some_and(f64::is_finite)
    };
    if !ok {
        return invalid(format!(
            "{}: {}",
            test.field.key(),
            if test.field.is_flag() {
                "is true or false"
            } else {
                "compare with a number"
            }
        ));
    }
    Ok(())
}

pub(super) fn conditions_ok(
    list: &[Condition],
    depth: usize,
    steps: &mut usize,
) -> Result<(), Invalid> {
    if depth > MAX_DEPTH {
        return invalid(format!("conditions nest at most {MAX_DEPTH} deep"));
    }
    for c in list {
        *steps += 1;
        if *steps > MAX_STEPS {
            return invalid(format!("at most {MAX_STEPS} conditions and actions"));
        }
        match c {
            Condition::TimeWindow { after, before, .. } => {
                schedule::daily(after)?;
                schedule::daily(before)?;
                if after == before {
                    return invalid("time window: from and to differ");
                }
            }
            Condition::Device { device_id, test } => device_ok(device_id, test)?,
            Condition::Weather { threshold, op, .. } => {
                if !threshold.is_finite() || *op == Compare::Eq {
                    return invalid("weather: above or below a number");
                }
            }
            Condition::And { conditions } | Condition::Or { conditions } => {
                if conditions.is_empty() {
                    return invalid("an and/or group needs conditions");
                }
                conditions_ok(conditions, depth + 1, steps)?
            }
            Condition::Not { condition } => {
                conditions_ok(std::slice::from_ref(condition), depth + 1, steps)?
            }
            Condition::Occupancy { .. } | Condition::UnitOccupied { .. } => {}
        }
    }
    Ok(())
}

pub(super) fn text_ok(text: &str) -> Result<(), Invalid> {
    if text.trim().is_empty() || text.chars().count() > MAX_TEXT {
        return invalid(format!("texts: 1 to {MAX_TEXT} characters"));
    }
    Ok(())
}

pub(super) fn actions_ok(list: &[Action], depth: usize, steps: &mut usize) -> Result<(), Invalid> {
    if depth > MAX_DEPTH {
        return invalid(format!("actions nest at most {MAX_DEPTH} deep"));
    }
    for a in list {
        *steps += 1;
        if *steps > MAX_STEPS {
            return invalid(format!("at most {MAX_STEPS} conditions and actions"));
        }
        match a {
            Action::Device { target, set } => {
                device_drivers::Command::parse_set(set.to_string().as_bytes())
                    .map_err(|e| Invalid(format!("device command: {e}")))?;
                match target {
                    Target::Device { device_id } if device_id.is_empty() => {
                        return invalid("choose a device")
                    }
                    Target::Group { name } if name.trim().is_empty() => {
                        return invalid("choose a group")
                    }
                    _ => {}
                }
            }
            Action::Delay { seconds } => {
                if *seconds == 0 || *seconds > 7 * 24 * 3600 {
                    return invalid("delay: 1 second to a week");
                }
            }
            Action::Notify { text } | Action::MessageGuest { text, .. } => text_ok(text)?,
            Action::If {
                conditions,
                then,
                otherwise,
            } => {
                if conditions.is_empty() {
                    return invalid("an if needs conditions");
                }
                conditions_ok(conditions, depth + 1, steps)?;
                actions_ok(then, depth + 1, steps)?;
                actions_ok(otherwise, depth + 1, steps)?;
            }
        }
    }
    Ok(())
}
