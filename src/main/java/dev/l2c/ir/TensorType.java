package dev.l2c.ir;

/** Element type and shape of a tensor value; {@code shape} is null where the rank is unknown. */
public record TensorType(DataType elementType, Shape shape) {

    public static TensorType of(DataType elementType, Shape shape) {
        return new TensorType(elementType, shape);
    }

    @Override
    public String toString() {
        return elementType.shortName + (shape == null ? "[?]" : shape.toString());
    }
}
