//! HCL for Terraform, written from JSON values and a few block shapes: two-space indents, `=`
//! aligned across a run of one-line attributes (as `terraform fmt` writes them), strings
//! escaped so that nothing in a value is interpolated. A value made by `expr` is written as an
//! expression (`var.org_id`, `aws_iam_role.ekm.arn`) instead of a string.

use serde_json::Value;

const EXPRESSION: char = '\u{0}';

/// A value written as an HCL expression rather than a string.
pub fn expr(text: &str) -> Value {
    Value::String(format!("{EXPRESSION}{text}"))
}

/// What a block or a file holds.
#[derive(Debug, Clone)]
pub enum Item {
    Attribute(String, Value),
    Block(Block),
    /// A `#` line (a checkov skip with its reason, say).
    Comment(String),
    Blank,
}

/// `kind "label" "label" { … }`.
#[derive(Debug, Clone)]
pub struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    pub body: Vec<Item>,
}

impl Block {
    pub fn new(kind: &str, labels: &[&str]) -> Block {
        Block {
            kind: kind.to_string(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            body: Vec::new(),
        }
    }

    pub fn attribute(mut self, name: &str, value: Value) -> Block {
        self.body.push(Item::Attribute(name.to_string(), value));
        self
    }

    pub fn block(mut self, block: Block) -> Block {
        self.body.push(Item::Block(block));
        self
    }

    pub fn comment(mut self, text: &str) -> Block {
        self.body.push(Item::Comment(text.to_string()));
        self
    }

    pub fn blank(mut self) -> Block {
        self.body.push(Item::Blank);
        self
    }
}

/// A file of items, top level blocks separated by a blank line.
pub fn file(items: &[Item]) -> String {
    let mut out = String::new();
    write_items(items, 0, &mut out);
    out
}

fn write_items(items: &[Item], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let mut i = 0;
    while i < items.len() {
        match &items[i] {
            Item::Blank => {
                out.push('\n');
                i += 1;
            }
            Item::Comment(text) => {
                out.push_str(&format!("{pad}# {text}\n"));
                i += 1;
            }
            Item::Block(block) => {
                if i > 0 && !matches!(items[i - 1], Item::Blank) && indent == 0 {
                    out.push('\n');
                }
                out.push_str(&pad);
                out.push_str(&block.kind);
                for label in &block.labels {
                    out.push(' ');
                    out.push_str(&string(label));
                }
                if block.body.is_empty() {
                    out.push_str(" {}\n");
                } else {
                    out.push_str(" {\n");
                    write_items(&block.body, indent + 2, out);
                    out.push_str(&pad);
                    out.push_str("}\n");
                }
                i += 1;
            }
            Item::Attribute(..) => {
                // A run of attributes: their `=` aligned.
                let run: Vec<(&String, &Value)> = items[i..]
                    .iter()
                    .map_while(|item| match item {
                        Item::Attribute(name, value) => Some((name, value)),
                        _ => None,
                    })
                    .collect();
                let width = run.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
                for (name, value) in &run {
                    out.push_str(&format!(
                        "{pad}{name:<width$} = {}\n",
                        value_text(value, indent)
                    ));
                }
                i += run.len();
            }
        }
    }
}

/// `variable "name" { type, description, default, validation }`.
pub fn variable(
    name: &str,
    kind: &str,
    description: &str,
    default: Option<Value>,
    rule: Option<(&str, &str)>,
) -> Item {
    let mut block = Block::new("variable", &[name])
        .attribute("type", expr(kind))
        .attribute("description", Value::String(description.to_string()));
    if let Some(default) = default {
        block = block.attribute("default", default);
    }
    if let Some((condition, message)) = rule {
        block = block.blank().block(
            Block::new("validation", &[])
                .attribute("condition", expr(condition))
                .attribute("error_message", Value::String(message.to_string())),
        );
    }
    Item::Block(block)
}

/// The `org_id` variable every module takes, with the recorded id as its default.
pub fn org_id_variable(recorded: Option<Value>) -> Item {
    variable(
        "org_id",
        "string",
        "Your OpenAI organization id (org-...).",
        recorded,
        Some((
            "can(regex(\"^org-[A-Za-z0-9-]+$\", var.org_id))",
            "The organization id is org- then letters, digits and hyphens.",
        )),
    )
}

/// The variable of the key's name at OpenAI (what registering calls it), with the recorded
/// name, or the kit's default, as its default.
pub fn key_name_variable(recorded: Option<Value>) -> Item {
    variable(
        KEY_NAME_VARIABLE,
        "string",
        "The key's name at OpenAI, as registering gives it.",
        recorded,
        Some((
            "length(trimspace(var.openai_key_name)) >= 1 && length(var.openai_key_name) <= 100",
            "The key's name at OpenAI is 1 to 100 characters.",
        )),
    )
}

/// The variable `key_name_variable` declares.
pub const KEY_NAME_VARIABLE: &str = "openai_key_name";

/// The `ekm_wizard_config` output: `config` as the JSON `ekm-wizard check <cloud> --config`
/// and `register <cloud> --config` read, with the key's name at OpenAI added (`name`, from the
/// variable `key_name_variable` declares) so registering finds every value it needs.
pub fn config_output(cloud: &str, config: &Value) -> Item {
    let mut config = config.clone();
    if let Value::Object(map) = &mut config {
        map.insert("name".into(), expr(&format!("var.{KEY_NAME_VARIABLE}")));
    }
    Item::Block(
        Block::new("output", &["ekm_wizard_config"])
            .attribute(
                "description",
                Value::String(format!(
                    "terraform output -raw ekm_wizard_config > ekm.json; ekm-wizard check {cloud} --config ekm.json"
                )),
            )
            .attribute("value", jsonencode(&config)),
    )
}

/// A module as its four files, by name.
pub fn module(
    versions: String,
    variables: String,
    main: String,
    outputs: String,
) -> Vec<(String, String)> {
    vec![
        ("versions.tf".into(), versions),
        ("variables.tf".into(), variables),
        ("main.tf".into(), main),
        ("outputs.tf".into(), outputs),
    ]
}

/// A quoted template: `text` with its `${…}` references left to interpolate.
pub fn template(text: &str) -> Value {
    expr(&Value::String(text.to_string()).to_string())
}

/// `jsonencode(…)` of a document, written at an attribute's depth.
pub fn jsonencode(document: &Value) -> Value {
    expr(&format!("jsonencode({})", value_text(document, 2)))
}

/// `versions.tf`: Terraform's version and the required providers (`name = {source, version}`).
pub fn versions(providers: &[(&str, &str, &str)]) -> String {
    let mut required = Block::new("required_providers", &[]);
    for (name, source, version) in providers {
        required = required.attribute(
            name,
            serde_json::json!({"source": source, "version": version}),
        );
    }
    file(&[Item::Block(
        Block::new("terraform", &[])
            .attribute("required_version", Value::String(">= 1.3".into()))
            .blank()
            .block(required),
    )])
}

/// A string literal: JSON escaping, and `${` / `%{` doubled so they stay text.
fn string(text: &str) -> String {
    Value::String(text.to_string())
        .to_string()
        .replace("${", "$${")
        .replace("%{", "%%{")
}

/// An object's key: bare when it is an identifier (`source`, `Version`), as `terraform fmt`
/// leaves what Terraform users write; quoted otherwise (`"kms:ViaService"`), and when bare it
/// would read as a word of the language (`for`, `null`).
fn key(text: &str) -> String {
    let mut chars = text.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let word = matches!(text, "for" | "in" | "if" | "null" | "true" | "false");
    if identifier && !word {
        text.to_string()
    } else {
        string(text)
    }
}

/// A value as HCL, its continuation lines indented from `indent`.
pub fn value_text(value: &Value, indent: usize) -> String {
    match value {
        Value::String(text) => match text.strip_prefix(EXPRESSION) {
            Some(expression) => expression.to_string(),
            None => string(text),
        },
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Array(items) => {
            let inner = " ".repeat(indent + 2);
            let mut out = String::from("[\n");
            for item in items {
                out.push_str(&format!("{inner}{},\n", value_text(item, indent + 2)));
            }
            out.push_str(&" ".repeat(indent));
            out.push(']');
            out
        }
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Object(map) => {
            let inner = " ".repeat(indent + 2);
            let keys: Vec<String> = map.keys().map(|k| key(k)).collect();
            let width = keys.iter().map(String::len).max().unwrap_or(0);
            let mut out = String::from("{\n");
            for (key, value) in keys.iter().zip(map.values()) {
                out.push_str(&format!(
                    "{inner}{key:<width$} = {}\n",
                    value_text(value, indent + 2)
                ));
            }
            out.push_str(&" ".repeat(indent));
            out.push('}');
            out
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blocks_attributes_and_values_as_terraform_fmt_writes_them() {
        let text = file(&[Item::Block(
            Block::new("resource", &["made_role", "ekm"])
                .attribute("name", expr("var.role_name"))
                .attribute("description", json!("uses ${literal}"))
                .attribute(
                    "assume_role_policy",
                    Value::String(format!(
                        "{EXPRESSION}jsonencode({})",
                        value_text(&json!({"A": [1, "x"], "Long": true}), 2)
                    )),
                ),
        )]);
        assert_eq!(
            text,
            "resource \"made_role\" \"ekm\" {\n  name               = var.role_name\n  description        = \"uses $${literal}\"\n  assume_role_policy = jsonencode({\n    A    = [\n      1,\n      \"x\",\n    ]\n    Long = true\n  })\n}\n"
        );
    }

    #[test]
    fn object_keys_are_bare_only_where_terraform_reads_them_as_the_same_text() {
        let text = value_text(
            &json!({"source": 1, "kms:ViaService": 2, "for": 3, "null": 4, "9lives": 5, "a-b_c": 6}),
            0,
        );
        assert_eq!(
            text,
            "{\n  source           = 1\n  \"kms:ViaService\" = 2\n  \"for\"            = 3\n  \"null\"           = 4\n  \"9lives\"         = 5\n  a-b_c            = 6\n}"
        );
    }
}
