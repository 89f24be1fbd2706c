pub mod flux;
pub mod notation;
pub mod kubernetes;
