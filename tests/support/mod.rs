pub mod fake_cloud;
pub mod fake_openai;
pub mod moto;
