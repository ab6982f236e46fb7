//! A small reader of workload identity attribute conditions (a subset of CEL): enough to tell
//! whether a provider's condition admits OpenAI's subject, and whether it admits anyone else.
//! What it cannot read comes out as `Unknown`, never as a guess.

use std::collections::BTreeMap;

/// Three-valued truth: a condition that uses something unknown may be neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    fn from_bool(value: bool) -> Truth {
        if value { Truth::True } else { Truth::False }
    }

    fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Text(String),
    Name(String),
    Op(&'static str),
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            let mut value = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return None,
                    Some('\\') => {
                        value.push(*chars.get(i + 1)?);
                        i += 2;
                    }
                    Some(&ch) if ch == c => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        value.push(ch);
                        i += 1;
                    }
                }
            }
            tokens.push(Token::Text(value));
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || "_.".contains(chars[i])) {
                i += 1;
            }
            tokens.push(Token::Name(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = match two.as_str() {
                "==" => Some("=="),
                "!=" => Some("!="),
                "&&" => Some("&&"),
                "||" => Some("||"),
                _ => None,
            };
            if let Some(op) = op {
                tokens.push(Token::Op(op));
                i += 2;
                continue;
            }
            let op = match c {
                '!' => "!",
                '(' => "(",
                ')' => ")",
                '[' => "[",
                ']' => "]",
                ',' => ",",
                _ => return None,
            };
            tokens.push(Token::Op(op));
            i += 1;
        }
    }
    Some(tokens)
}

/// What a claim of the token is known to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Exactly this text.
    Is(String),
    /// Any text but this one: the claim of every other caller at once.
    AnyBut(String),
}

/// A value during evaluation: a known text, a list of them, or something unknown.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Text(String),
    /// Any text but this one.
    AnyBut(String),
    List(Vec<Operand>),
    Bool(Truth),
    Unknown,
}

struct Reader<'a> {
    tokens: Vec<Token>,
    at: usize,
    facts: &'a BTreeMap<&'a str, Claim>,
}

impl Reader<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Token::Op(o)) if *o == op) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Option<Truth> {
        let mut value = self.and()?;
        while self.eat("||") {
            value = value.or(self.and()?);
        }
        Some(value)
    }

    fn and(&mut self) -> Option<Truth> {
        let mut value = self.unary()?;
        while self.eat("&&") {
            value = value.and(self.unary()?);
        }
        Some(value)
    }

    fn unary(&mut self) -> Option<Truth> {
        if self.eat("!") {
            return Some(self.unary()?.not());
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Option<Truth> {
        let left = self.operand()?;
        if self.eat("==") {
            let right = self.operand()?;
            return Some(equal(&left, &right));
        }
        if self.eat("!=") {
            let right = self.operand()?;
            return Some(equal(&left, &right).not());
        }
        if matches!(self.peek(), Some(Token::Name(n)) if n == "in") {
            self.at += 1;
            let right = self.operand()?;
            return Some(match right {
                Operand::List(items) => items
                    .iter()
                    .fold(Truth::False, |found, item| found.or(equal(&left, item))),
                _ => Truth::Unknown,
            });
        }
        Some(match left {
            Operand::Bool(truth) => truth,
            _ => Truth::Unknown,
        })
    }

    fn operand(&mut self) -> Option<Operand> {
        match self.tokens.get(self.at).cloned()? {
            Token::Text(text) => {
                self.at += 1;
                Some(Operand::Text(text))
            }
            Token::Op("(") => {
                self.at += 1;
                let inner = self.or()?;
                self.eat(")").then_some(Operand::Bool(inner))
            }
            Token::Op("[") => {
                self.at += 1;
                let mut items = Vec::new();
                if !self.eat("]") {
                    loop {
                        items.push(self.operand()?);
                        if self.eat("]") {
                            break;
                        }
                        if !self.eat(",") {
                            return None;
                        }
                    }
                }
                Some(Operand::List(items))
            }
            Token::Name(name) => {
                self.at += 1;
                if self.eat("(") {
                    // A function or method call: read past its arguments, value unknown.
                    if !self.eat(")") {
                        loop {
                            self.or()?;
                            if self.eat(")") {
                                break;
                            }
                            if !self.eat(",") {
                                return None;
                            }
                        }
                    }
                    return Some(Operand::Unknown);
                }
                Some(match name.as_str() {
                    "true" => Operand::Bool(Truth::True),
                    "false" => Operand::Bool(Truth::False),
                    _ => match self.facts.get(name.as_str()) {
                        Some(Claim::Is(text)) => Operand::Text(text.clone()),
                        Some(Claim::AnyBut(text)) => Operand::AnyBut(text.clone()),
                        None => Operand::Unknown,
                    },
                })
            }
            Token::Op(_) => None,
        }
    }
}

fn equal(left: &Operand, right: &Operand) -> Truth {
    match (left, right) {
        (Operand::Text(a), Operand::Text(b)) => Truth::from_bool(a == b),
        // Another caller's claim is never the excluded text; any other text it may be.
        (Operand::AnyBut(a), Operand::Text(b)) | (Operand::Text(b), Operand::AnyBut(a))
            if a == b =>
        {
            Truth::False
        }
        (Operand::Bool(a), Operand::Bool(b)) if *a != Truth::Unknown && *b != Truth::Unknown => {
            Truth::from_bool(a == b)
        }
        _ => Truth::Unknown,
    }
}

/// Evaluates `condition` for a token whose claims are `facts` (`assertion.sub`, …).
/// A condition that cannot be read is `Unknown`.
pub fn evaluate(condition: &str, facts: &BTreeMap<&str, Claim>) -> Truth {
    let Some(tokens) = tokenize(condition) else {
        return Truth::Unknown;
    };
    if tokens.is_empty() {
        return Truth::True;
    }
    let mut reader = Reader {
        tokens,
        at: 0,
        facts,
    };
    match reader.or() {
        Some(truth) if reader.at == reader.tokens.len() => truth,
        _ => Truth::Unknown,
    }
}

/// The claims of a token from `subject`, as the provider's mapping would see them.
pub fn claims_of(subject: &str, audience: &str) -> BTreeMap<&'static str, Claim> {
    claims(Claim::Is(subject.to_string()), audience)
}

/// The claims of a token from every Google identity but `subject` at once: a condition that
/// comes out `False` for these admits `subject` alone.
pub fn claims_of_anyone_but(subject: &str, audience: &str) -> BTreeMap<&'static str, Claim> {
    claims(Claim::AnyBut(subject.to_string()), audience)
}

fn claims(subject: Claim, audience: &str) -> BTreeMap<&'static str, Claim> {
    BTreeMap::from([
        ("assertion.sub", subject.clone()),
        ("assertion.azp", subject.clone()),
        ("google.subject", subject),
        (
            "assertion.iss",
            Claim::Is(super::OPENAI_TOKEN_ISSUER.to_string()),
        ),
        ("assertion.aud", Claim::Is(audience.to_string())),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::OPENAI_SUBJECT_ID;
    use super::*;

    fn openai(condition: &str) -> Truth {
        evaluate(condition, &claims_of(OPENAI_SUBJECT_ID, "org-1"))
    }

    /// Every other Google identity at once.
    fn stranger(condition: &str) -> Truth {
        evaluate(condition, &claims_of_anyone_but(OPENAI_SUBJECT_ID, "org-1"))
    }

    #[test]
    fn the_guides_condition_admits_openai_only() {
        let guide = format!("assertion.sub == \"{OPENAI_SUBJECT_ID}\"");
        assert_eq!(openai(&guide), Truth::True);
        assert_eq!(stranger(&guide), Truth::False);
        let single = format!("assertion.sub=='{OPENAI_SUBJECT_ID}'");
        assert_eq!(openai(&single), Truth::True);
        let reversed = format!("'{OPENAI_SUBJECT_ID}' == google.subject");
        assert_eq!(openai(&reversed), Truth::True);
    }

    #[test]
    fn lists_and_logic_are_read() {
        let list = format!("assertion.sub in ['1', '{OPENAI_SUBJECT_ID}']");
        assert_eq!(openai(&list), Truth::True);
        assert_ne!(stranger(&list), Truth::False, "subject 1 is admitted too");
        let alone = format!("assertion.sub in ['{OPENAI_SUBJECT_ID}']");
        assert_eq!(stranger(&alone), Truth::False);
        let both = format!(
            "(assertion.sub == '{OPENAI_SUBJECT_ID}') && assertion.iss == 'https://accounts.google.com'"
        );
        assert_eq!(openai(&both), Truth::True);
        let either = format!("assertion.sub == '1' || assertion.sub == '{OPENAI_SUBJECT_ID}'");
        assert_eq!(openai(&either), Truth::True);
        assert_ne!(stranger(&either), Truth::False, "subject 1 is admitted too");
        assert_ne!(
            stranger(&format!(
                "assertion.sub.startsWith('1059') || assertion.sub == '{OPENAI_SUBJECT_ID}'"
            )),
            Truth::False
        );
        assert_eq!(
            stranger(&format!(
                "assertion.sub == '{OPENAI_SUBJECT_ID}' && assertion.aud == 'org-1'"
            )),
            Truth::False
        );
        assert_eq!(openai("!(assertion.sub == '1')"), Truth::True);
        assert_ne!(stranger("assertion.sub != '1'"), Truth::False);
    }

    #[test]
    fn a_wrong_subject_is_refused_and_an_open_one_admits_everyone() {
        assert_eq!(
            openai("assertion.sub == '105900137572174660366'"),
            Truth::False
        );
        assert_eq!(openai("true"), Truth::True);
        assert_eq!(stranger("true"), Truth::True);
        assert_eq!(stranger(""), Truth::True);
    }

    #[test]
    fn what_cannot_be_read_is_unknown() {
        assert_eq!(openai("assertion.sub.startsWith('1059')"), Truth::Unknown);
        assert_eq!(openai("attribute.team == 'x'"), Truth::Unknown);
        assert_eq!(openai("assertion.sub == "), Truth::Unknown);
        assert_eq!(openai("assertion.sub == 'x"), Truth::Unknown);
        assert_eq!(openai("a @ b"), Truth::Unknown);
        // Unknown && false is false: the condition refuses whatever the unknown part says.
        assert_eq!(openai("attribute.team == 'x' && false"), Truth::False);
    }
}
