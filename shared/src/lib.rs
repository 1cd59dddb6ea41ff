pub mod cloudtrail;
pub mod integrity;
pub mod ports;
