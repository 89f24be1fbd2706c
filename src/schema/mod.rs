pub mod flux;
pub mod notation;
