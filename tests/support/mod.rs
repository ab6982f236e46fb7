pub mod aws_world;
pub mod azure;
pub mod check_run;
pub mod fake_cloud;
pub mod fake_openai;
pub mod google;
pub mod moto;
pub mod replay;
