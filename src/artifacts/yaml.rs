//! YAML for documents built as JSON values (a CloudFormation template): block style for maps
//! and lists, every string and key written as a JSON string (a valid YAML double-quoted
//! scalar), so nothing is reinterpreted (`yes`, `0123`, `*`) and no value is templated by hand.

use serde_json::Value;

/// The document as YAML, ending with a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(map, 0, &mut out),
        Value::Array(items) if !items.is_empty() => write_list(items, 0, &mut out),
        scalar => {
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
    out
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Array(items) if items.is_empty() => "[]".into(),
        other => other.to_string(),
    }
}

fn is_block(value: &Value) -> bool {
    match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    }
}

fn write_map(map: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&Value::String(key.clone()).to_string());
        out.push(':');
        write_value(value, indent, out);
    }
}

fn write_list(items: &[Value], indent: usize, out: &mut String) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                // The first key on the dash's line, the rest under it.
                let mut first = true;
                for (key, value) in map {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        out.push_str(&" ".repeat(indent + 2));
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    write_value(value, indent + 2, out);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_list(inner, indent + 2, out);
            }
            scalar => {
                out.push(' ');
                out.push_str(&scalar_text(scalar));
                out.push('\n');
            }
        }
    }
}

/// After `key:`: a scalar on the same line, a block on the lines under it.
fn write_value(value: &Value, indent: usize, out: &mut String) {
    if is_block(value) {
        out.push('\n');
        match value {
            Value::Object(map) => write_map(map, indent + 2, out),
            Value::Array(items) => write_list(items, indent + 2, out),
            _ => {}
        }
    } else {
        out.push(' ');
        out.push_str(&scalar_text(value));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_lists_and_scalars_in_block_style() {
        let value = json!({
            "A": {"B": "yes", "C": ["x", {"D": 1, "E": "*"}], "F": []},
            "G": true,
        });
        assert_eq!(
            to_yaml(&value),
            "\"A\":\n  \"B\": \"yes\"\n  \"C\":\n    - \"x\"\n    - \"D\": 1\n      \"E\": \"*\"\n  \"F\": []\n\"G\": true\n"
        );
    }
}
