pub mod fake_openai;
pub mod moto;
